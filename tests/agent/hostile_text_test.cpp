// Bytes that are not UTF-8, and Unicode that reads as a line break or reorders text, arriving
// through every path the review found: a certificate's SAN or subject, a file name in a policy,
// a value in a stored policy, and a policy index the central server serves. No command or daemon
// cycle aborts; every JSON document parses; every log line stays one line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

constexpr const char* kLatin1 = "caf\xe9";
// NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR and RIGHT-TO-LEFT OVERRIDE, each valid UTF-8.
constexpr const char* kSeparators =
    "a\xc2\x85"
    "b\xe2\x80\xa8"
    "c\xe2\x80\xa9"
    "d\xe2\x80\xae"
    "e";

// Exit codes a command may document; 134 (abort) and other signals are not among them.
bool documented(int code) { return code >= 0 && code <= 4; }

// A JSON document that parses, and holds no raw separator characters in any string.
json parsed(const std::string& out) {
  json j = json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(out.find("\xe2\x80\xa8"), std::string::npos);
  EXPECT_EQ(out.find("\xc2\x85"), std::string::npos);
  return j;
}

class HostileText : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  testing_support::TempHome home_;
  Issued hostile_ = make_cert({.common_name = std::string("host ") + kSeparators,
                               .dns_names = {"localhost"},
                               // OpenSSL refuses a UTF8String that is not UTF-8; an IA5String
                               // dNSName is taken as bytes.
                               .raw_subject = {{"OU", "caf\xc3\xa9 \xe2\x80\xae"}},
                               .raw_dns_names = {"bad\xff.example", kSeparators}});
};

TEST_F(HostileText, LintAndListOfACertificateWithNonUtf8NamesGiveValidJson) {
  std::string file = home_.write("hostile.pem", hostile_.pem());
  auto lint = run({"lint", file, "--profile", "webserver", "--address", "localhost", "--json"});
  EXPECT_TRUE(documented(lint.exit_code)) << lint.exit_code << lint.err;
  parsed(lint.out);
  ASSERT_EQ(run({"add", file}).exit_code, 0);
  auto list = run({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json j = parsed(list.out);
  std::string subject = j["anchors"][0]["subject"];
  EXPECT_NE(subject.find("\\u{202e}"), std::string::npos) << subject;
  EXPECT_NE(subject.find("\\u{2028}"), std::string::npos) << subject;
  std::string store = read_file(home_.etc("cainfo-merged.pem"));
  EXPECT_EQ(store.find("\xe2\x80\xa8"), std::string::npos);
  EXPECT_EQ(store.find("\xff"), std::string::npos);
}

TEST_F(HostileText, ConnectToAServerPresentingThemGivesValidJson) {
  auto server = testing_support::serve_certificate(home_, hostile_);
  ASSERT_GT(server->port(), 0);
  auto refused = run({"connect", server->address(), "--json"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  parsed(refused.out);
  EXPECT_EQ(refused.err.find('\xff'), std::string::npos);
  auto fetched = run({"fetch", server->address(), "--fingerprint", hostile_.sha256(), "--json"});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  parsed(fetched.out);
  auto ok = run({"connect", server->address(), "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  parsed(ok.out);
}

TEST_F(HostileText, StoredPolicyWithLatin1PathsAndValuesGivesValidJson) {
  std::string dir = home_.path() + "/corp/" + kLatin1;
  home_.write(dir + "/ca.pem", make_cert({.common_name = "Corp", .is_ca = true}).pem());
  home_.write("var/policies/aaaa.xml",
              std::string("<Policy guid=\"aaaa\" revision=\"1\" priority=\"10\" name=\"") +
                  kLatin1 + "\"><CurlSSL CAPath=\"" + dir + "\" CAInfo=\"" + dir +
                  "/missing\xff.pem\"/></Policy>\n");
  for (std::vector<std::string> args : {std::vector<std::string>{"policy", "show", "--json"},
                                        {"merge", "--json"},
                                        {"list", "--json"},
                                        {"status", "--json"}}) {
    auto r = run(args);
    EXPECT_TRUE(documented(r.exit_code)) << args[0] << " exit " << r.exit_code << r.err;
    parsed(r.out);
  }
}

TEST_F(HostileText, IndexThatIsNotUtf8NeitherAbortsTheDaemonNorBreaksStatusJson) {
  std::string srv = home_.path() + "/srv";
  home_.write("srv/policies/index.xml", "<Index\xe9/>\n");
  auto server = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(server.url.empty()) << "nginx did not start";
  ASSERT_EQ(run({"add", server.cert}).exit_code, 0);
  auto refresh = run({"policy", "refresh", "--server", server.url, "--json"});
  EXPECT_TRUE(documented(refresh.exit_code)) << refresh.exit_code << refresh.err;
  parsed(refresh.out);
  auto cycle = run({"run", "--once", "--server", server.url});
  EXPECT_TRUE(documented(cycle.exit_code)) << cycle.exit_code << cycle.err;
  parsed(read_file(home_.path() + "/var/state/status.json"));
  // Every line is an event of its own: "2026-11-29T19:00:00Z level message".
  size_t from = 0;
  for (size_t eol; (eol = cycle.err.find('\n', from)) != std::string::npos; from = eol + 1) {
    std::string line = cycle.err.substr(from, eol - from);
    EXPECT_TRUE(line.size() > 20 && line[4] == '-' && line[10] == 'T') << "not an event: " << line;
  }
  testing_support::CentralServer::stop(srv);
}

}  // namespace
