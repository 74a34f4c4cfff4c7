// trustagent status: each warning triggered by a certificate generated with the date, key or
// signature that should trigger it, and not triggered by its healthy twin.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::KeyKind;
using testing_support::make_cert;

class Status : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return testing_support::run_cli(args);
  }
  // The warning codes `status --json` reports for the anchor with this fingerprint.
  std::set<std::string> codes_for(const std::string& sha256, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"status", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(args);
    last_ = json::parse(r.out);
    exit_code_ = r.exit_code;
    std::set<std::string> out;
    for (const auto& w : last_["warnings"]) {
      if (w["sha256"] == sha256) out.insert(w["code"].get<std::string>());
    }
    return out;
  }

  testing_support::TempHome home_;
  json last_;
  int exit_code_ = -1;
};

TEST_F(Status, ShowsTheServerInUseAndWhereItCameFrom) {
  home_.write("etc/cainfo.pem", make_cert({.common_name = "ns.example"}).pem());
  json none = json::parse(run({"status", "--json"}).out);
  EXPECT_EQ(none["policy"]["server"]["from"], "none");
  home_.write("var/policies/s.xml",
              "<Policy guid=\"srv-1\"><Server Address=\"policy.example\"/></Policy>");
  json from_policy = json::parse(run({"status", "--json"}).out);
  EXPECT_EQ(from_policy["policy"]["server"]["from"], "srv-1");
  home_.write("etc/trustagent.conf", "server = ns.example:8443\n");
  json configured = json::parse(run({"status", "--json"}).out);
  EXPECT_EQ(configured["policy"]["server"]["value"], "ns.example:8443");
  EXPECT_EQ(configured["policy"]["server"]["from"], "configuration");
  EXPECT_NE(run({"status"}).out.find("server ns.example:8443 (from configuration)"),
            std::string::npos);
}

// Review finding: policy text reaches the terminal escaped.
TEST_F(Status, PolicyTextIsPrintedEscaped) {
  home_.write("etc/cainfo.pem", make_cert({.common_name = "ns.example"}).pem());
  home_.write("var/policies/s.xml",
              "<Policy guid=\"srv-1\" name=\"n&#x1b;[31m\"><Server "
              "Address=\"evil.example&#x1b;]0;owned&#x07;&#x0a;fake line\"/></Policy>");
  for (const auto& args : std::vector<std::vector<std::string>>{{"status"}, {"policy", "show"}}) {
    auto r = run(args);
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << args[0];
    EXPECT_EQ(r.out.find('\x07'), std::string::npos) << args[0];
    EXPECT_EQ(r.out.find("\nfake line"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("evil.example\\x1b]0;owned\\x07\\x0afake line"), std::string::npos)
        << r.out;
  }
}

TEST_F(Status, AHealthyStoreHasNoWarningsAndExitsZero) {
  Issued good = make_cert({.common_name = "ns.example", .not_after_days = 200});
  home_.write("etc/cainfo.pem", good.pem());
  auto r = run({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_TRUE(j["warnings"].empty());
  ASSERT_EQ(j["anchors"].size(), 1u);
  EXPECT_EQ(j["anchors"][0]["role"], "current");
  EXPECT_EQ(j["anchors"][0]["sources"][0], "cainfo.pem");
  int days = j["anchors"][0]["days_left"];
  EXPECT_TRUE(days == 200 || days == 199) << days;  // 199 once a second has passed since issuing
  EXPECT_TRUE(j["last_refresh"].is_null());
  EXPECT_EQ(j["policy"]["verify_peer"]["value"], true);
  EXPECT_EQ(j["policy"]["verify_peer"]["from"], "default");
  auto text = run({"status"});
  EXPECT_EQ(text.exit_code, 0);
  bool shown = text.out.find("[1] current  200") != std::string::npos ||
               text.out.find("[1] current  199") != std::string::npos;
  EXPECT_TRUE(shown) << text.out;  // a second may pass between the two runs
  EXPECT_NE(text.out.find(" days left  CN=ns.example"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("no warnings"), std::string::npos);
}

TEST_F(Status, ExpiringSoonWithoutAReserveWarnsUntilOneIsAdded) {
  Issued soon = make_cert({.common_name = "ns.example", .not_after_days = 10});
  home_.write("etc/cainfo.pem", soon.pem());
  EXPECT_EQ(codes_for(soon.sha256()), std::set<std::string>{"expires_soon_no_reserve"});
  EXPECT_EQ(exit_code_, 1);
  auto text = run({"status"});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("expires_soon_no_reserve: [1] 'CN=ns.example"), std::string::npos);

  Issued next = make_cert({.common_name = "ns.example", .not_after_days = 300});
  ASSERT_EQ(run({"reserve", "add", home_.write("in/next.pem", next.pem())}).exit_code, 0);
  EXPECT_TRUE(codes_for(soon.sha256()).empty());
  EXPECT_EQ(exit_code_, 0) << last_.dump();
  EXPECT_EQ(last_["anchors"][1]["role"], "reserve");
  EXPECT_EQ(last_["reserves"][0]["sha256"], next.sha256());
}

// A CA-issued server leaf is never an anchor: the leaf `connect` saw at the configured server is
// remembered, and warned about before it expires.
TEST_F(Status, TheConfiguredServersCaIssuedLeafIsWatchedForExpiry) {
  Issued root = make_cert({.common_name = "Watch Root", .is_ca = true});
  Issued soon = make_cert(
      {.common_name = "localhost", .not_after_days = 10, .dns_names = {"localhost"}}, &root);
  home_.write("etc/cainfo.pem", root.pem());
  auto server = testing_support::serve_certificate(home_, soon);
  ASSERT_GT(server->port(), 0);
  // An explicit URL is not the configured server: nothing is remembered.
  ASSERT_EQ(run({"connect", server->address()}).exit_code, 0);
  EXPECT_TRUE(codes_for(soon.sha256()).empty());
  EXPECT_EQ(exit_code_, 0) << last_.dump();

  // A damaged record is read as nothing seen, and the next connection writes a good one.
  home_.write("var/state/servers.state", "server\tno tabs enough\ncentral\th:1\tab\tsoon\tCN=x\n");
  EXPECT_TRUE(codes_for(soon.sha256()).empty());
  EXPECT_EQ(exit_code_, 0) << last_.dump();

  auto connected = run({"connect", "--server", server->address()});
  ASSERT_EQ(connected.exit_code, 0) << connected.err;
  EXPECT_EQ(codes_for(soon.sha256()), std::set<std::string>{"expires_soon_no_reserve"});
  EXPECT_EQ(exit_code_, 1);
  std::string record = testing_support::read_file(home_.path() + "/var/state/servers.state");
  EXPECT_EQ(record.rfind("server\t" + server->address() + "\t" + soon.sha256() + "\t", 0), 0u)
      << record;
  // The damaged lines are dropped; the leaf and the root that authenticated it are in use.
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = record.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(record.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), 3u) << record;
  EXPECT_EQ(lines[1].rfind("in_use\t" + soon.sha256() + "\t", 0), 0u) << record;
  EXPECT_EQ(lines[2].rfind("in_use\t" + root.sha256() + "\t", 0), 0u) << record;
  std::string message = last_["warnings"][0]["message"];
  EXPECT_NE(message.find("the server " + server->address() + " presents 'CN=localhost"),
            std::string::npos)
      << message;
  // 9 once a second has passed since issuing.
  EXPECT_TRUE(message.find("(in 10 days)") != std::string::npos ||
              message.find("(in 9 days)") != std::string::npos)
      << message;

  // The server is renewed; the next connection records the new leaf and the warning goes.
  server.reset();
  Issued renewed = make_cert(
      {.common_name = "localhost", .not_after_days = 200, .dns_names = {"localhost"}}, &root);
  server = testing_support::serve_certificate(home_, renewed);
  ASSERT_EQ(run({"connect", "--server", server->address()}).exit_code, 0);
  EXPECT_TRUE(codes_for(soon.sha256()).empty());
  EXPECT_TRUE(codes_for(renewed.sha256()).empty());
  EXPECT_EQ(exit_code_, 0) << last_.dump();
}

TEST_F(Status, AReserveActivatingWithinOneRefreshIntervalWarns) {
  Issued current = make_cert({.common_name = "ns.example", .not_after_days = 200});
  Issued next = make_cert({.common_name = "ns.example", .not_after_days = 300});
  home_.write("etc/cainfo.pem", current.pem());
  std::string file = home_.write("in/next.pem", next.pem());
  // Twenty minutes: the test may cross a second boundary between here and the reserve's arrival.
  std::string in_twenty_minutes = trust::to_iso8601(std::time(nullptr) + 1200);
  ASSERT_EQ(run({"reserve", "add", file, "--activate-at", in_twenty_minutes}).exit_code, 0);
  EXPECT_EQ(codes_for(next.sha256()), std::set<std::string>{"reserve_activation_too_soon"});
  // With a refresh every 5 minutes and one minute of jitter, twenty minutes is enough.
  home_.write("var/policies/p.xml",
              "<Policy guid=\"fast\"><Refresh IntervalSeconds=\"300\" "
              "JitterSeconds=\"60\"/></Policy>");
  EXPECT_TRUE(codes_for(next.sha256()).empty()) << last_.dump();
}

TEST_F(Status, ExpiredAnchorsWarn) {
  Issued expired = make_cert(
      {.common_name = "Old Root", .is_ca = true, .not_before_days = -300, .not_after_days = -1});
  std::string admin = home_.write("corp/ca.pem", expired.pem());
  EXPECT_EQ(codes_for(expired.sha256(), {"--ca-file", admin}),
            std::set<std::string>{"anchor_expired"});
  EXPECT_EQ(last_["anchors"][0]["days_left"], -1);
}

TEST_F(Status, ServerCertificatesIssuedForOver397DaysWarn) {
  Issued long_lived = make_cert({.common_name = "ns.example", .not_after_days = 500});
  Issued fine = make_cert({.common_name = "other.example", .not_after_days = 396});
  Issued root = make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 3650});
  home_.write("etc/cainfo.pem", long_lived.pem() + fine.pem());
  std::string admin = home_.write("corp/ca.pem", root.pem());
  EXPECT_EQ(codes_for(long_lived.sha256(), {"--ca-file", admin}),
            std::set<std::string>{"validity_over_397_days"});
  EXPECT_TRUE(codes_for(fine.sha256(), {"--ca-file", admin}).empty());
  EXPECT_TRUE(codes_for(root.sha256(), {"--ca-file", admin}).empty());  // a CA, not a server
}

TEST_F(Status, WeakKeysWarn) {
  Issued rsa1024 = make_cert({.common_name = "a", .key = KeyKind::kRsa1024});
  Issued ec224 = make_cert({.common_name = "b", .key = KeyKind::kEc224});
  Issued rsa2048 = make_cert({.common_name = "c", .key = KeyKind::kRsa2048});
  home_.write("etc/cainfo.pem", rsa1024.pem() + ec224.pem() + rsa2048.pem());
  EXPECT_EQ(codes_for(rsa1024.sha256()), std::set<std::string>{"weak_key"});
  EXPECT_EQ(codes_for(ec224.sha256()), std::set<std::string>{"weak_key"});
  EXPECT_TRUE(codes_for(rsa2048.sha256()).empty());
}

TEST_F(Status, Sha1SignaturesWarnWhereTheSignatureMatters) {
  Issued sha1_server = make_cert({.common_name = "ns.example", .digest = "sha1"});
  Issued sha1_root = make_cert({.common_name = "Legacy Root", .is_ca = true, .digest = "sha1"});
  home_.write("etc/cainfo.pem", sha1_server.pem());
  std::string admin = home_.write("corp/ca.pem", sha1_root.pem());
  EXPECT_EQ(codes_for(sha1_server.sha256(), {"--ca-file", admin}),
            std::set<std::string>{"sha1_signature"});
  // A root's self-signature is not what makes it trusted: an admin's SHA-1 root is not flagged.
  EXPECT_TRUE(codes_for(sha1_root.sha256(), {"--ca-file", admin}).empty());
}

}  // namespace

namespace {

// From issue 13: status names the ways the store itself leaves servers unauthenticated.
TEST_F(Status, AMissingOrRefusedCaSourceAndAnEmptyStoreAreWarnings) {
  EXPECT_EQ(codes_for(""), std::set<std::string>{"store_empty"});  // a fresh install
  EXPECT_EQ(exit_code_, 1);

  home_.write("etc/cainfo.pem", make_cert({.common_name = "Anchor", .is_ca = true}).pem());
  std::string open =
      home_.write("corp/open.pem", make_cert({.common_name = "Open", .is_ca = true}).pem());
  ::chmod(open.c_str(), 0666);
  home_.write("var/policies/ca.xml", "<Policy guid=\"ca-1\"><CurlSSL CAInfo=\"" + home_.path() +
                                         "/corp/missing.pem\"/></Policy>");
  EXPECT_EQ(codes_for("", {"--ca-file", open}),
            (std::set<std::string>{"source_missing", "source_refused"}))
      << last_.dump();
  EXPECT_EQ(exit_code_, 1);

  ::chmod(open.c_str(), 0644);
  ASSERT_EQ(std::remove((home_.path() + "/var/policies/ca.xml").c_str()), 0);
  EXPECT_TRUE(codes_for("", {"--ca-file", open}).empty()) << last_.dump();
  EXPECT_EQ(exit_code_, 0);
}

}  // namespace

namespace {

// From issue 13: an endpoint whose central server switched to a certificate it does not trust is
// cut off; status says so, with the fingerprint to check and the command that heals it. A
// tampered status.json is shown as text, never thrown on.
TEST_F(Status, ACentralServerTheDaemonCannotTrustIsAWarningWithTheFetchCommand) {
  home_.write("etc/cainfo.pem", make_cert({.common_name = "Anchor", .is_ca = true}).pem());
  std::string srv = home_.path() + "/srv";
  home_.write("srv/policies/index.xml", "<PolicyIndex/>\n");
  auto central = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(central.url.empty()) << "nginx did not start";
  auto cycle = run({"run", "--once", "--server", central.url});
  EXPECT_EQ(cycle.exit_code, 1) << cycle.err;
  testing_support::CentralServer::stop(srv);

  EXPECT_EQ(codes_for(""), std::set<std::string>{"central_server_failing"}) << last_.dump();
  EXPECT_EQ(exit_code_, 1);
  std::string message;
  for (const auto& w : last_["warnings"]) {
    if (w["code"] == "central_server_failing") message = w["message"];
  }
  std::string central_sha256 = trust::to_hex(trust::sha256_of(
      trust::read_certificates(testing_support::read_file(central.cert)).certs.at(0).der));
  EXPECT_NE(message.find("--fingerprint " + central_sha256), std::string::npos) << message;
  EXPECT_NE(message.find("trustagent fetch localhost:"), std::string::npos) << message;

  home_.write("var/state/status.json",
              "{\"cycle\": {\"result\": 7, \"time\": [1], \"message\": {}}}");
  auto tampered = run({"status"});
  EXPECT_TRUE(tampered.exit_code == 0 || tampered.exit_code == 1) << tampered.err;
  EXPECT_NE(tampered.out.find("last refresh: ? ?"), std::string::npos) << tampered.out;
}

// Issue 13, item 2: an endpoint that has stopped hearing from its central server says so,
// whether the daemon or `policy refresh` found out, and for how long.
TEST_F(Status, RefreshesFailingOrTooOldForThreeIntervalsAreWarnings) {
  std::string srv = home_.path() + "/srv";
  home_.write("srv/policies/p.xml",
              "<Policy guid=\"p-1\" revision=\"1\"><Refresh IntervalSeconds=\"60\" "
              "JitterSeconds=\"0\"/></Policy>\n");
  ASSERT_EQ(testing_support::run_cli({"policy", "publish", srv + "/policies"}).exit_code, 0);
  auto central = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(central.url.empty()) << "nginx did not start";
  ASSERT_EQ(run({"add", central.cert}).exit_code, 0);
  ASSERT_EQ(run({"policy", "refresh", "--server", central.url}).exit_code, 0);
  EXPECT_TRUE(codes_for("").empty()) << last_.dump();
  auto later = [&](const std::string& offset) {
    auto r = testing_support::run_cli({"status", "--json", "--home", home_.path()}, {},
                                      testing_support::wall_clock_moved(offset));
    std::set<std::string> out;
    json doc = json::parse(r.out);
    for (const auto& w : doc["warnings"]) out.insert(w["code"].get<std::string>());
    return out;
  };
  // Three intervals plus the record's one-hour resolution: a healthy endpoint never warns.
  EXPECT_TRUE(later("+50m").empty());
  EXPECT_EQ(later("+70m"), std::set<std::string>{"refresh_too_old"});

  testing_support::CentralServer::stop(srv);
  auto down = run({"policy", "refresh", "--server", central.url, "--timeout", "3"});
  EXPECT_EQ(down.exit_code, 3) << down.err;
  EXPECT_EQ(codes_for(""), std::set<std::string>{"central_server_failing"}) << last_.dump();
  EXPECT_EQ(later("+70m"),
            (std::set<std::string>{"central_server_failing", "central_server_unreachable_for_long",
                                   "refresh_too_old"}));
}

// Issue 13, item 3: a warning an administrator has seen and accepts stops making status exit 1,
// for that code and that certificate only.
TEST_F(Status, AnAcknowledgedWarningIsInformationForThatCertificateOnly) {
  Issued long_lived = make_cert({.common_name = "legacy.example", .not_after_days = 3650});
  Issued other = make_cert({.common_name = "other.example", .not_after_days = 3650});
  home_.write("etc/cainfo.pem", long_lived.pem());
  EXPECT_EQ(codes_for(long_lived.sha256()), std::set<std::string>{"validity_over_397_days"});
  EXPECT_EQ(exit_code_, 1);
  auto ack = run({"acknowledge", "validity_over_397_days", long_lived.sha256()});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  EXPECT_EQ(codes_for(long_lived.sha256()), std::set<std::string>{"validity_over_397_days"});
  EXPECT_EQ(exit_code_, 0) << last_.dump();
  EXPECT_EQ(last_["warnings"][0]["severity"], "information");
  // Another certificate with the same problem still warns.
  home_.write("etc/cainfo.pem", long_lived.pem() + other.pem());
  EXPECT_EQ(codes_for(other.sha256()), std::set<std::string>{"validity_over_397_days"});
  EXPECT_EQ(exit_code_, 1);
  EXPECT_EQ(
      run({"acknowledge", "--remove", "validity_over_397_days", long_lived.sha256()}).exit_code, 0);
  EXPECT_EQ(
      run({"acknowledge", "--remove", "validity_over_397_days", long_lived.sha256()}).exit_code, 2);
  EXPECT_EQ(run({"acknowledge", "Not A Code", long_lived.sha256()}).exit_code, 2);
  // Warnings that mean a server is refused now or soon cannot be acknowledged away.
  EXPECT_EQ(run({"acknowledge", "server_certificate_expired", long_lived.sha256()}).exit_code, 2);
  EXPECT_EQ(run({"acknowledge", "server_not_switched", long_lived.sha256()}).exit_code, 2);
  EXPECT_EQ(run({"acknowledge", "store_empty", long_lived.sha256()}).exit_code, 2);
  EXPECT_EQ(run({"acknowledge", "weak_key", "abc"}).exit_code, 2);
  json listed = json::parse(run({"acknowledge", "--list", "--json"}).out);
  EXPECT_TRUE(listed["acknowledged"].empty());
}

}  // namespace
