// The daemon as a real process against nginx on loopback, with a 2-second refresh interval.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using nlohmann::json;
using testing_support::read_file;
using testing_support::run_cli;
using Clock = std::chrono::steady_clock;

// SIGTERM must stop the daemon within a second. Sanitizer builds scan the heap for leaks at exit,
// which on a loaded 2-core CI machine can take a good part of that second, so they get two.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kStopBound = 2.0;
#else
constexpr double kStopBound = 1.0;
#endif

bool wait_for(const std::function<bool()>& done, double seconds) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_a_ = home_.write("corp/a.pem",
                        testing_support::make_cert({.common_name = "CA A", .is_ca = true}).pem());
    ca_b_ = home_.write("corp/b.pem",
                        testing_support::make_cert({.common_name = "CA B", .is_ca = true}).pem());
    policy(ca_a_, 1, 2);
    start_server("");
    ASSERT_FALSE(url_.empty());
    ASSERT_EQ(run_cli({"add", cert_, "--home", home_.path()}).exit_code, 0);
  }
  void TearDown() override {
    for (pid_t pid : daemons_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    testing_support::CentralServer::stop(srv());
  }
  std::string srv() const { return home_.path() + "/srv"; }
  void start_server(const std::string& port) {
    auto server = testing_support::CentralServer::start(srv(), port);
    url_ = server.url;
    cert_ = server.cert;
  }
  // One policy naming `ca`; republished with its mtime moved on (nginx's ETag has 1 s resolution).
  void policy(const std::string& ca, int revision, int interval) {
    home_.write("srv/policies/p.xml",
                "<Policy guid=\"pol-1\" revision=\"" + std::to_string(revision) +
                    "\"><CurlSSL CAInfo=\"" + ca + "\"/><Refresh IntervalSeconds=\"" +
                    std::to_string(interval) + "\" JitterSeconds=\"0\"/></Policy>");
    ASSERT_EQ(run_cli({"policy", "publish", srv() + "/policies"}).exit_code, 0);
    testing_support::move_mtime_forward(srv() + "/policies/index.xml", 5 * revision);
  }
  pid_t start_daemon(const std::string& timeout = "3") {
    std::string log = home_.path() + "/daemon" + std::to_string(daemons_.size()) + ".log";
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDERR_FILENO);
      ::dup2(fd, STDOUT_FILENO);
      std::string bin = testing_support::trustagent_binary();
      ::execl(bin.c_str(), bin.c_str(), "run", "--home", home_.path().c_str(), "--server",
              url_.c_str(), "--timeout", timeout.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    daemons_.push_back(pid);
    return pid;
  }
  std::string store() { return read_file(home_.etc("cainfo-merged.pem")); }
  json status() {
    std::string text = read_file(home_.path() + "/var/state/status.json");
    return text.empty() ? json() : json::parse(text);
  }
  int stop(pid_t pid, double* seconds) {
    auto start = Clock::now();
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    *seconds = std::chrono::duration<double>(Clock::now() - start).count();
    daemons_.erase(std::find(daemons_.begin(), daemons_.end(), pid));
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  testing_support::TempHome home_;
  std::string ca_a_, ca_b_, url_, cert_;
  std::vector<pid_t> daemons_;
};

TEST_F(Daemon, AppliesAChangedPolicyWithinTwoIntervalsAndStopsCleanly) {
  pid_t pid = start_daemon();
  // status.json is written at the end of a cycle, after the store: wait for it, not the store.
  ASSERT_TRUE(wait_for([&] { return status()["cycle"]["result"] == "ok"; }, 10));
  EXPECT_NE(store().find("CN=CA A"), std::string::npos);
  EXPECT_EQ(status()["cycle"]["next_cycle_in_seconds"], 2);
  policy(ca_b_, 2, 2);
  auto changed = Clock::now();
  ASSERT_TRUE(wait_for([&] { return store().find("CN=CA B") != std::string::npos; }, 10));
  double took = std::chrono::duration<double>(Clock::now() - changed).count();
  EXPECT_LT(took, 2 * 2 + 1.5) << "a changed policy must be applied within two intervals";
  EXPECT_EQ(store().find("CN=CA A"), std::string::npos);
  double stopping = 0;
  EXPECT_EQ(stop(pid, &stopping), 0);
  EXPECT_LT(stopping, kStopBound);
  EXPECT_NE(read_file(home_.path() + "/daemon0.log").find("info stopping on SIGTERM"),
            std::string::npos);
}

// A server that accepts and then says nothing holds a request until --timeout; SIGTERM must not
// wait for it, and the cut-short refresh is not recorded as the central server failing.
TEST_F(Daemon, SigtermStopsAtOnceWhileARequestHangs) {
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);
  url_ = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  pid_t pid = start_daemon("30");
  pollfd waiting{silent, POLLIN, 0};
  ASSERT_EQ(::poll(&waiting, 1, 10000), 1) << "the daemon never connected";
  int held = ::accept(silent, nullptr, nullptr);  // and never answered
  ASSERT_GE(held, 0);
  double stopping = 0;
  EXPECT_EQ(stop(pid, &stopping), 0);
  EXPECT_LT(stopping, 10.0) << "SIGTERM waited for the request's 30 s timeout";
  EXPECT_FALSE(testing_support::file_exists(home_.path() + "/var/state/refresh-record.json"));
  EXPECT_NE(read_file(home_.path() + "/daemon0.log").find("info stopping on SIGTERM"),
            std::string::npos);
  ::close(held);
  ::close(silent);
}

TEST_F(Daemon, SighupRefreshesAtOnce) {
  policy(ca_a_, 1, 600);  // no periodic cycle during the test
  pid_t pid = start_daemon();
  ASSERT_TRUE(wait_for([&] { return store().find("CN=CA A") != std::string::npos; }, 10));
  policy(ca_b_, 2, 600);
  ::kill(pid, SIGHUP);
  EXPECT_TRUE(wait_for([&] { return store().find("CN=CA B") != std::string::npos; }, 5));
  EXPECT_NE(read_file(home_.path() + "/daemon0.log").find("SIGHUP: refreshing now"),
            std::string::npos);
}

// A republish nginx's validators cannot show (same size, same mtime) answers 304 to the daemon's
// conditional GETs; SIGHUP fetches the whole index and applies it.
TEST_F(Daemon, SighupFetchesTheWholeIndexSoASameSecondRepublishIsSeen) {
  policy(ca_a_, 1, 600);
  pid_t pid = start_daemon();
  ASSERT_TRUE(wait_for([&] { return status()["cycle"]["result"] == "ok"; }, 10));
  EXPECT_EQ(status()["cycle"]["refresh"]["full"], true);  // the first cycle fetches in full
  std::string index = srv() + "/policies/index.xml";
  std::string old_index = read_file(index);
  testing_support::rewrite_unseen(index, [&] { policy(ca_b_, 2, 600); });
  ASSERT_EQ(read_file(index).size(), old_index.size());
  auto conditional = run_cli({"policy", "refresh", "--home", home_.path(), "--server", url_});
  EXPECT_NE(conditional.out.find("not modified (304)"), std::string::npos)
      << "the server saw the change: the test proves nothing";
  EXPECT_NE(store().find("CN=CA A"), std::string::npos);
  ::kill(pid, SIGHUP);
  EXPECT_TRUE(wait_for([&] { return store().find("CN=CA B") != std::string::npos; }, 5));
  EXPECT_TRUE(wait_for(
      [&] { return status()["cycle"]["refresh"]["installed"] == json::array({"pol-1"}); }, 5));
  EXPECT_EQ(status()["cycle"]["refresh"]["full"], true);
}

TEST_F(Daemon, SecondDaemonOnTheSameHomeExitsFour) {
  start_daemon();
  ASSERT_TRUE(wait_for([&] { return !status().is_null(); }, 10));
  auto second = run_cli({"run", "--home", home_.path(), "--server", url_});
  EXPECT_EQ(second.exit_code, 4);
  EXPECT_NE(second.err.find("another trustagent daemon is running"), std::string::npos);
  // CLI commands that write still get their turn between cycles.
  EXPECT_EQ(run_cli({"merge", "--home", home_.path()}).exit_code, 0);
}

TEST_F(Daemon, CentralServerDownThenBackIsLoggedRetriedAndRecovered) {
  start_daemon();
  ASSERT_TRUE(wait_for([&] { return status()["cycle"]["result"] == "ok"; }, 10));
  std::string port = url_.substr(url_.rfind(':') + 1);
  testing_support::CentralServer::stop(srv());
  ASSERT_TRUE(wait_for([&] { return status()["cycle"]["result"] == "error"; }, 10));
  std::string anchors_before = store();
  EXPECT_NE(status()["cycle"]["message"].get<std::string>().find("cannot connect"),
            std::string::npos);
  EXPECT_EQ(store(), anchors_before);  // the last good state is kept
  policy(ca_b_, 2, 2);
  start_server(port);
  ASSERT_TRUE(wait_for([&] { return store().find("CN=CA B") != std::string::npos; }, 10));
  EXPECT_TRUE(wait_for([&] { return status()["cycle"]["result"] == "ok"; }, 5));
  std::string log = read_file(home_.path() + "/daemon0.log");
  EXPECT_NE(log.find("error cycle failed"), std::string::npos);
  EXPECT_NE(log.find("notice recovered after "), std::string::npos) << log;
  // Backoff with jitter, within the 2-second interval.
  EXPECT_TRUE(log.find("retrying in 1 s") != std::string::npos ||
              log.find("retrying in 2 s") != std::string::npos)
      << log;
}

// An administrator's CA file changes between cycles; the cycle that fetches the whole index
// (the first one, or on SIGHUP) applies it before the refresh, and the log and status.json say so.
TEST_F(Daemon, AChangedAdministratorCaFileIsLoggedWithWhatItAddedAndRemoved) {
  ASSERT_EQ(run_cli({"run", "--once", "--home", home_.path(), "--server", url_}).exit_code, 0);
  home_.write("corp/a.pem",
              testing_support::make_cert({.common_name = "CA A2", .is_ca = true}).pem());
  auto r = run_cli({"run", "--once", "--home", home_.path(), "--server", url_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("merged store regenerated"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 added, 1 removed"), std::string::npos) << r.err;
  json cycle = status()["cycle"];
  EXPECT_EQ(cycle["regenerated"], true) << cycle.dump();
  ASSERT_EQ(cycle["added"].size(), 1u) << cycle.dump();
  EXPECT_EQ(cycle["added"][0]["subject"], "CN=CA A2,O=trustagent tests");
  ASSERT_EQ(cycle["removed"].size(), 1u) << cycle.dump();
}

TEST_F(Daemon, OnceRunsOneCycleAndExitsWithItsStatus) {
  auto ok = run_cli({"run", "--once", "--home", home_.path(), "--server", url_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(status()["cycle"]["result"], "ok");
  // status.json is what `status --json` shows (and status shows the daemon's last cycle).
  auto cli = run_cli({"status", "--json", "--home", home_.path(), "--server", url_});
  json shown = json::parse(cli.out);
  ASSERT_FALSE(status()["anchors"].empty());
  // Days left are whole days counted at each one's instant: a second apart they may differ by one.
  auto timeless = [](json doc) {
    for (auto& a : doc["anchors"]) a.erase("days_left");
    for (auto& w : doc["warnings"]) w.erase("message");
    return doc;
  };
  for (const char* key : {"anchors", "reserves", "policy", "warnings"}) {
    EXPECT_EQ(timeless(status())[key], timeless(shown)[key]) << key;
  }
  EXPECT_EQ(shown["last_refresh"]["result"], "ok");
  EXPECT_EQ(shown["last_refresh"]["time"], status()["cycle"]["time"]);
  auto down = run_cli({"run", "--once", "--home", home_.path(), "--server", "https://127.0.0.1:1"});
  EXPECT_EQ(down.exit_code, 3);
  EXPECT_EQ(status()["cycle"]["result"], "error");
  EXPECT_EQ(timeless(status())["anchors"], timeless(shown)["anchors"]);  // the last good state
}

}  // namespace
