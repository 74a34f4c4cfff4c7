// Whole-process cost of the everyday commands at 10,000 and at 100,000 anchors, and the ratio
// between the two: linear work costs about 10x, and the target is at most 12x. Also the idle
// daemon's memory over many cycles (it must stay flat).
//
//   scale_bench [N_SMALL N_LARGE]   (default 10000 100000; inputs are kept in bench-inputs/)
//   scale_bench generate N          (only writes the inputs, and prints the PEM's path)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/spawn.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

namespace fs = std::filesystem;

// N distinct certificates sharing one key (the key does not change what a command costs), signed
// by one CA, as PEM and as one DER PKCS#7; made once and kept beside the build.
struct Inputs {
  std::string pem, p7b;
};

Inputs generated(int n) {
  std::string dir = TRUSTAGENT_BENCH_DIR;
  Inputs in{dir + "/scale-" + std::to_string(n) + ".pem",
            dir + "/scale-" + std::to_string(n) + ".p7b"};
  if (fs::exists(in.pem) && fs::exists(in.p7b)) return in;
  fs::create_directories(dir);
  std::fprintf(stderr, "generating %d certificates ...\n", n);
  auto ca = testing_support::make_cert({.common_name = "Scale CA", .is_ca = true});
  auto shared = testing_support::make_cert({});
  std::vector<testing_support::Issued> certs(static_cast<size_t>(n));
  std::string pem;
  for (int i = 0; i < n; ++i) {
    auto& c = certs[static_cast<size_t>(i)];
    c.cert.reset(X509_dup(shared.cert.get()));
    ASN1_INTEGER_set(X509_get_serialNumber(c.cert.get()), 1000000 + i);
    X509_NAME* name = X509_NAME_new();
    std::string cn = "scale anchor " + std::to_string(i);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_subject_name(c.cert.get(), name);
    X509_NAME_free(name);
    X509_set_issuer_name(c.cert.get(), X509_get_subject_name(ca.cert.get()));
    X509_sign(c.cert.get(), ca.key.get(), EVP_sha256());
    pem += c.pem();
  }
  std::vector<const testing_support::Issued*> all;
  for (const auto& c : certs) all.push_back(&c);
  std::ofstream(in.p7b, std::ios::binary) << testing_support::make_pkcs7(all, false);
  std::ofstream(in.pem, std::ios::binary) << pem;
  return in;
}

using bench::spawn;
using bench::Spawned;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A home whose config names the N certificates as a CA file, merged once.
struct ScaleHome {
  testing_support::TempHome home;
  std::string ca_file;
  explicit ScaleHome(const Inputs& in) {
    ca_file = home.path() + "/corp/anchors.pem";
    fs::create_directories(home.path() + "/corp");
    fs::copy_file(in.pem, ca_file);
    home.write("etc/trustagent.conf", "ca-file = " + ca_file + "\n");
  }
  std::vector<std::string> cmd(std::vector<std::string> args) const {
    args.insert(args.begin(), testing_support::trustagent_binary());
    args.insert(args.end(), {"--home", home.path()});
    return args;
  }
};

using Figures = std::map<std::string, double>;

Figures measure(int n, int runs) {
  Inputs in = generated(n);
  Figures f;
  ScaleHome h(in);
  auto timed = [&](const std::string& name, auto before, std::vector<std::string> args) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
      before(i);
      Spawned s = spawn(h.cmd(args));
      if (s.status != 0) std::fprintf(stderr, "%s at %d exited %d\n", name.c_str(), n, s.status);
      t.push_back(s.seconds);
    }
    f[name] = median(t);
  };
  auto nothing = [](int) {};
  timed("merge, cold",
        [&](int) {
          fs::remove_all(h.home.path() + "/var");
          fs::remove(h.home.etc("cainfo-merged.pem"));
          fs::remove(h.home.etc("cainfo-merged.idx"));
        },
        {"merge"});
  timed("merge, no change", nothing, {"merge"});
  std::vector<testing_support::Issued> extra;
  for (int i = 0; i < runs; ++i) extra.push_back(testing_support::make_cert({}));
  timed("merge, one change",
        [&](int i) { h.home.write("etc/cainfo-ss.pem", extra[static_cast<size_t>(i)].pem()); },
        {"merge"});
  timed("list", nothing, {"list", "--json"});
  timed("status", nothing, {"status", "--json"});
  std::vector<double> adds;
  for (int i = 0; i < runs; ++i) {
    testing_support::TempHome fresh;
    std::vector<std::string> args = {testing_support::trustagent_binary(), "add", in.p7b, "--home",
                                     fresh.path()};
    Spawned s = spawn(args);
    if (s.status != 0) std::fprintf(stderr, "add at %d exited %d\n", n, s.status);
    adds.push_back(s.seconds);
  }
  f["add of a PKCS#7 of all"] = median(adds);
  return f;
}

long rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The daemon at N anchors, woken by SIGHUP for `cycles` cycles: resident memory after the first
// ten and after all of them.
std::pair<long, long> daemon_memory(int n, int cycles) {
  ScaleHome h(generated(n));
  std::vector<std::string> argv = h.cmd({"run", "--log", "stderr"});
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::string status_json = h.home.path() + "/var/state/status.json";
  auto cycle = [&] {
    auto before = fs::exists(status_json) ? fs::last_write_time(status_json) : fs::file_time_type{};
    kill(pid, SIGHUP);
    for (int w = 0; w < 600; ++w) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (fs::exists(status_json) && fs::last_write_time(status_json) != before) break;
    }
    // status.json is written before the daemon hands the cycle's memory back (malloc_trim):
    // sampling at once would measure the cycle, not the idle daemon.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  };
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (int i = 0; i < 10; ++i) cycle();
  long early = rss_kb(pid);
  for (int i = 10; i < cycles; ++i) cycle();
  long late = rss_kb(pid);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return {early, late};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "generate") {
    std::printf("%s\n", generated(std::atoi(argv[2])).pem.c_str());
    return 0;
  }
  int small = argc > 2 ? std::atoi(argv[1]) : 10000;
  int large = argc > 2 ? std::atoi(argv[2]) : 100000;
  Figures a = measure(small, 3);
  Figures b = measure(large, 3);
  std::printf("Summary (whole processes, medians of 3; %d and %d anchors)\n", small, large);
  std::printf("  %-26s %10s %10s %8s  %s\n", "command", std::to_string(small).c_str(),
              std::to_string(large).c_str(), "ratio", "target <= 12x");
  double limit = 12.0 * large / small / 10.0;
  for (const auto& [name, t] : a) {
    double ratio = b[name] / t;
    std::printf("  %-26s %8.3f s %8.3f s %7.1fx  %s\n", name.c_str(), t, b[name], ratio,
                ratio <= limit ? "met" : "MISSED");
  }
  std::printf("  %-26s %21.3f s %9s  %s\n", "status at the larger size", b["status"], "",
              b["status"] < 3.0 ? "< 3 s: met" : "< 3 s: MISSED");
  auto [early, late] = daemon_memory(small, 60);
  std::printf(
      "  idle daemon at %d anchors: %ld kB resident after 10 cycles, %ld kB after 60 "
      "(%s)\n",
      small, early, late, late <= early + early / 20 ? "flat: met" : "grows: MISSED");
  return 0;
}
