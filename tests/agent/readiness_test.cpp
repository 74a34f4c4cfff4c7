// Readiness before a switch (issue 13, item 13): real agents refresh from a real nginx central
// server, each request says which endpoint it is and what it holds, and `trustagent readiness`
// counts from nginx's own access log who holds the revision that publishes the reserve.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "agent/readiness.h"
#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "trust/time_format.h"

namespace {

using nlohmann::json;
using testing_support::read_file;
using testing_support::run_cli;

TEST(Readiness, LogTimesWithTheirZone) {
  EXPECT_EQ(agent::parse_log_time("29/Nov/2026:21:00:00 +0000"),
            trust::from_iso8601("2026-11-29T21:00:00Z"));
  EXPECT_EQ(agent::parse_log_time("29/Nov/2026:22:30:00 +0130"),
            trust::from_iso8601("2026-11-29T21:00:00Z"));
  EXPECT_FALSE(agent::parse_log_time("29/Foo/2026:21:00:00 +0000"));
  EXPECT_FALSE(agent::parse_log_time("29/Nov/2026:21:00:00"));
}

// Anyone can put anything in a User-Agent: only the agent's own forms count.
TEST(Readiness, ForgedUserAgentsCannotInjectText) {
  std::istringstream log(
      "1.2.3.4 - - [29/Nov/2026:21:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"trustagent/0.3.0 "
      "(endpoint=\\x0a\\x1b[31mevil; policies=-; reserves=-)\"\n"
      "1.2.3.4 - - [29/Nov/2026:21:00:01 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"trustagent/0.3.0 "
      "(endpoint=0123456789abcdef0123456789abcdef; policies=../x@1; reserves=-)\"\n"
      "1.2.3.4 - - [29/Nov/2026:21:00:02 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n"
      "not a log line\n");
  agent::AccessLog read = agent::read_access_log(log);
  EXPECT_TRUE(read.endpoints.empty());
  EXPECT_EQ(read.other_clients, 2u);
  EXPECT_EQ(read.unreadable, 2u);
}

TEST(Readiness, CountsFromTheCentralServersAccessLogWhoHoldsTheReserve) {
  testing_support::TempHome admin;
  std::string srv = admin.path() + "/srv";
  auto reserve = testing_support::make_cert({.common_name = "next", .not_after_days = 400});
  auto publish = [&](int revision, bool with_reserve) {
    admin.write("srv/policies/rsv-1.xml",
                "<Policy guid=\"rsv-1\" revision=\"" + std::to_string(revision) + "\">" +
                    (with_reserve ? "<ReserveCertificate>" + reserve.pem() + "</ReserveCertificate>"
                                  : std::string()) +
                    "</Policy>\n");
    testing_support::move_mtime_forward(srv + "/policies/rsv-1.xml", 10 * revision);
    ASSERT_EQ(run_cli({"policy", "publish", srv + "/policies"}).exit_code, 0);
  };
  publish(1, false);
  auto central = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(central.url.empty()) << "nginx did not start";

  std::vector<std::unique_ptr<testing_support::TempHome>> endpoints;
  auto refresh = [&](size_t i) {
    auto r = run_cli(
        {"policy", "refresh", "--full", "--server", central.url, "--home", endpoints[i]->path()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  for (size_t i = 0; i < 3; ++i) {
    endpoints.push_back(std::make_unique<testing_support::TempHome>());
    ASSERT_EQ(run_cli({"add", central.cert, "--home", endpoints[i]->path()}).exit_code, 0);
    refresh(i);  // installs revision 1
    refresh(i);  // and says it holds it
  }
  publish(2, true);
  // Endpoints 0 and 1 take revision 2 (its reserve with it) and say so on their next request.
  for (size_t i : {0u, 1u}) {
    refresh(i);
    refresh(i);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string after = trust::to_iso8601(std::time(nullptr));
  refresh(0);
  testing_support::CentralServer::stop(srv);

  auto id = [&](size_t i) {
    std::string text = read_file(endpoints[i]->path() + "/var/state/endpoint-id");
    return text.substr(0, text.find('\n'));
  };
  EXPECT_EQ(id(0).size(), 32u);
  EXPECT_NE(id(0), id(1));
  std::string log = srv + "/.central-server/access.log";
  EXPECT_NE(read_file(log).find("endpoint=" + id(2) + "; policies=rsv-1@1"), std::string::npos)
      << read_file(log);

  auto by_policy = run_cli({"readiness", log, "--policy", "rsv-1@2", "--since", after, "--json"});
  EXPECT_EQ(by_policy.exit_code, 1) << by_policy.err;
  json j = json::parse(by_policy.out);
  EXPECT_EQ(j["endpoints"], 3);
  EXPECT_EQ(j["ready"], 2);
  ASSERT_EQ(j["not_ready"].size(), 1u);
  EXPECT_EQ(j["not_ready"][0]["endpoint"], id(2));
  EXPECT_EQ(j["not_ready"][0]["policies"]["rsv-1"], 1);
  // Endpoint 0 was seen after `after`; 1 and 2 were not.
  ASSERT_EQ(j["not_seen_since"].size(), 2u);
  for (const auto& e : j["not_seen_since"]) EXPECT_NE(e["endpoint"], id(0));

  auto by_reserve = run_cli({"readiness", log, "--reserve", reserve.sha256(), "--json"});
  json k = json::parse(by_reserve.out);
  EXPECT_EQ(k["ready"], 2);
  EXPECT_EQ(k["not_ready"][0]["endpoint"], id(2));

  EXPECT_EQ(run_cli({"readiness", log, "--policy", "rsv-1"}).exit_code, 2);
  EXPECT_EQ(run_cli({"readiness", log}).exit_code, 2) << "ready for what?";
  // A log with no endpoint in it is no evidence of readiness.
  std::string empty = admin.write("empty.log", "");
  auto nothing = run_cli({"readiness", empty, "--policy", "rsv-1@2"});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_NE(nothing.err.find("no trustagent 0.3.0 or later endpoint"), std::string::npos);
  EXPECT_EQ(run_cli({"readiness", admin.path() + "/none.log"}).exit_code, 2);
}

}  // namespace
