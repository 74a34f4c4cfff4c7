// One verified connection to a local TLS server, with 1, 100, 1,000 and 10,000 anchors in the
// store and the matching one last:
//   trustagent connect   (a process: the no-change store check, then one handshake)
//   curl --cacert        (a process: OpenSSL parses and indexes every anchor per connection)
//   the legacy strategy  (one handshake per anchor, in store order, until one succeeds; here
//                         in-process through libcurl with CURLOPT_CAINFO_BLOB)
// Targets: trustagent at 10,000 within 1.3x of itself at 1; at 1 within 1.2x of curl; at 10,000
// at least 100x faster than curl and than the legacy strategy.
#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "tests/bench/spawn.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/certificate.h"
#include "trust/source_reader.h"

namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

struct World {
  testing_support::Issued root =
      testing_support::make_cert({.common_name = "Bench Root", .is_ca = true});
  testing_support::Issued leaf =
      testing_support::make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &root);
  testing_support::TempHome dir;
  std::unique_ptr<testing_support::TlsServer> server;
  std::vector<std::string> filler;   // PEM blocks of unrelated anchors
  std::map<int, std::string> homes;  // anchors -> home with a merged store of that size

  World() {
    server = std::make_unique<testing_support::TlsServer>(dir.write("leaf.pem", leaf.pem()),
                                                          dir.write("leaf.key", leaf.key_pem()));
    std::string path = std::string(TRUSTAGENT_BENCH_DIR) + "/generated-10000.pem";
    std::string generated = fs::exists(path) ? read_file(path) : "";
    for (auto& c : trust::read_certificates(generated).certs)
      filler.push_back(trust::to_pem(c.der));
    while (filler.size() < 9999) {
      filler.push_back(
          testing_support::make_cert({.common_name = "filler " + std::to_string(filler.size())})
              .pem());
    }
  }
  std::string url() const { return "https://localhost:" + std::to_string(server->port()) + "/"; }
  std::string store_of(int anchors) {
    std::string out;
    for (int i = 0; i < anchors - 1; ++i) out += filler[static_cast<size_t>(i)];
    return out + root.pem();
  }
  const std::string& home_for(int anchors) {
    auto& h = homes[anchors];
    if (h.empty()) {
      h = dir.path() + "/home" + std::to_string(anchors);
      dir.write(h + "/etc/cainfo.pem", store_of(anchors));
      testing_support::run_cli({"merge", "--home", h});
    }
    return h;
  }
};

World& world() {
  static World w;
  return w;
}

double spawn_seconds(const std::vector<std::string>& argv, int* status) {
  bench::Spawned s = bench::spawn(argv);
  *status = s.status;
  return s.seconds;
}

void BM_TrustagentConnect(benchmark::State& state) {
  World& w = world();
  const std::string& home = w.home_for(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    int status = 0;
    state.SetIterationTime(spawn_seconds(
        {testing_support::trustagent_binary(), "connect", "--home", home, w.url()}, &status));
    if (status != 0) state.SkipWithError("trustagent connect failed");
  }
}

void BM_CurlCacert(benchmark::State& state) {
  World& w = world();
  std::string store = w.home_for(static_cast<int>(state.range(0))) + "/etc/cainfo-merged.pem";
  for (auto _ : state) {
    int status = 0;
    state.SetIterationTime(
        spawn_seconds({"curl", "-sS", "-o", "/dev/null", "--cacert", store, w.url()}, &status));
    if (status != 0) state.SkipWithError("curl failed");
  }
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

void BM_LegacyHandshakePerAnchor(benchmark::State& state) {
  World& w = world();
  std::vector<std::string> anchors;
  for (int i = 0; i < state.range(0) - 1; ++i) anchors.push_back(w.filler[static_cast<size_t>(i)]);
  anchors.push_back(w.root.pem());
  std::string url = w.url();
  for (auto _ : state) {
    bool connected = false;
    for (const auto& pem : anchors) {
      CURL* h = curl_easy_init();
      curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
      curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
      connected = curl_easy_perform(h) == CURLE_OK;
      curl_easy_cleanup(h);
      if (connected) break;
    }
    if (!connected) state.SkipWithError("no anchor connected");
  }
}

BENCHMARK(BM_TrustagentConnect)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10)
    ->Repetitions(3);
BENCHMARK(BM_CurlCacert)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5)
    ->Repetitions(3);
BENCHMARK(BM_CurlCacert)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3);
BENCHMARK(BM_LegacyHandshakePerAnchor)
    ->Arg(1)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3);
BENCHMARK(BM_LegacyHandshakePerAnchor)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(1);

class Recorder : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      bool single = r.repetitions <= 1 && r.run_type == Run::RT_Iteration;
      if (r.aggregate_name == "median" || single) {
        medians[r.run_name.str().substr(0, r.run_name.str().find("/iterations"))] =
            r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> medians;
};

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  benchmark::Initialize(&argc, argv);
  Recorder r;
  benchmark::RunSpecifiedBenchmarks(&r);
  auto ms = [&](const std::string& name) { return r.medians[name] * 1e3; };
  std::printf("\nSummary (medians, ms; matching anchor last)\n");
  std::printf("  %8s %12s %12s %12s %14s %14s\n", "anchors", "trustagent", "curl", "legacy",
              "curl/ta", "legacy/ta");
  for (int n : {1, 100, 1000, 10000}) {
    std::string a = "/" + std::to_string(n);
    double ta = ms("BM_TrustagentConnect" + a), curl = ms("BM_CurlCacert" + a),
           legacy = ms("BM_LegacyHandshakePerAnchor" + a);
    std::printf("  %8d %12.2f %12.2f %12.2f %13.1fx %13.1fx\n", n, ta, curl, legacy, curl / ta,
                legacy / ta);
  }
  double t1 = ms("BM_TrustagentConnect/1"), t10k = ms("BM_TrustagentConnect/10000");
  auto verdict = [](bool ok) { return ok ? "met" : "MISSED"; };
  std::printf("  10,000 vs 1 anchor: %.2fx (target <= 1.3x: %s)\n", t10k / t1,
              verdict(t10k <= 1.3 * t1));
  std::printf("  1 anchor vs curl:   %.2fx (target <= 1.2x: %s)\n", t1 / ms("BM_CurlCacert/1"),
              verdict(t1 <= 1.2 * ms("BM_CurlCacert/1")));
  std::printf("  10,000: curl %.0fx, legacy %.0fx slower (target >= 100x: %s)\n",
              ms("BM_CurlCacert/10000") / t10k, ms("BM_LegacyHandshakePerAnchor/10000") / t10k,
              verdict(ms("BM_CurlCacert/10000") >= 100 * t10k &&
                      ms("BM_LegacyHandshakePerAnchor/10000") >= 100 * t10k));
  benchmark::Shutdown();
  curl_global_cleanup();
  return 0;
}
