// `policy reserve` against a real central server: the certificate file becomes a
// <ReserveCertificate> policy, the index is republished, and an endpoint's refresh holds the
// reserve with the activation asked for.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using nlohmann::json;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

class ReservePolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    home_.write("srv/policies/base.xml", "<Policy guid=\"base\" revision=\"1\"/>\n");
    ASSERT_EQ(run_cli({"policy", "publish", policies()}).exit_code, 0);
    auto server = testing_support::CentralServer::start(home_.path() + "/srv");
    url_ = server.url;
    ASSERT_FALSE(url_.empty()) << "nginx did not start";
    ASSERT_EQ(run({"add", server.cert}).exit_code, 0);
  }
  void TearDown() override { testing_support::CentralServer::stop(home_.path() + "/srv"); }
  std::string policies() const { return home_.path() + "/srv/policies"; }
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  json reserves_after_refresh() {
    auto r = run({"policy", "refresh", "--server", url_, "--full"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(run({"reserve", "list", "--json"}).out)["reserves"];
  }

  testing_support::TempHome home_;
  std::string url_;
  testing_support::Issued next_ = make_cert({.common_name = "next", .dns_names = {"ns.example"}});
  testing_support::Issued later_ = make_cert({.common_name = "later", .dns_names = {"ns.example"}});
};

TEST_F(ReservePolicy, ACertificateFileBecomesAPublishedReserveWithItsActivation) {
  std::string file = home_.write("next.der", next_.der());
  auto r = run_cli({"policy", "reserve", file, policies(), "--activate-in", "30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  std::string guid = "reserve-" + next_.sha256().substr(0, 16);
  EXPECT_EQ(j["guid"], guid);
  EXPECT_EQ(j["revision"], 1);
  EXPECT_NE(read_file(policies() + "/index.xml").find(guid), std::string::npos);
  json reserves = reserves_after_refresh();
  ASSERT_EQ(reserves.size(), 1u);
  EXPECT_EQ(reserves[0]["sha256"], next_.sha256());
  EXPECT_EQ(reserves[0]["origin"], guid);
  EXPECT_EQ(reserves[0]["activate_at"], j["activates"]);

  // The same policy again, with another certificate and a date with an offset: revision 2.
  std::string second = home_.write("later.pem", later_.pem());
  auto again = run_cli({"policy", "reserve", second, policies(), "--guid", guid, "--activate-at",
                        "2027-01-10T02:00:00+02:00", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["revision"], 2);
  EXPECT_EQ(json::parse(again.out)["activates"], "2027-01-10T00:00:00Z");
  EXPECT_EQ(reserves_after_refresh().size(), 2u);
}

TEST_F(ReservePolicy, WhatCannotBePublishedWritesNothing) {
  std::string two = home_.write("two.pem", next_.pem() + later_.pem());
  auto r = run_cli({"policy", "reserve", two, policies()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("a reserve is one certificate"), std::string::npos) << r.err;
  std::string index = read_file(policies() + "/index.xml");
  // A signed folder without its key: neither the policy nor the index changes.
  home_.write("srv/policies/index.xml.sig", "old signature");
  std::string one = home_.write("next.pem", next_.pem());
  auto signed_folder = run_cli({"policy", "reserve", one, policies()});
  EXPECT_EQ(signed_folder.exit_code, 1) << signed_folder.err;
  EXPECT_FALSE(testing_support::file_exists(policies() + "/reserve-" +
                                            next_.sha256().substr(0, 16) + ".xml"));
  EXPECT_EQ(read_file(policies() + "/index.xml"), index);
  auto bad_date = run_cli({"policy", "reserve", one, policies(), "--activate-at", "10.01.2027"});
  EXPECT_EQ(bad_date.exit_code, 2) << bad_date.err;
  auto no_day = run_cli({"policy", "reserve", one, policies(), "--activate-at", "2027-02-31"});
  EXPECT_EQ(no_day.exit_code, 2) << no_day.err;
  // Review 2: a guid that is the index's own name would have overwritten the policy with it.
  for (const char* guid : {"index", "INDEX", "{x}", "../x"}) {
    auto r = run_cli({"policy", "reserve", one, policies(), "--guid", guid, "--force"});
    EXPECT_EQ(r.exit_code, 2) << guid << ": " << r.err;
  }
  EXPECT_EQ(read_file(policies() + "/index.xml"), index);
}

}  // namespace

namespace {

// Issue 23: `policy reserve` published RSA-1024, SHA-1 and 398-day reserves that every endpoint
// then installed; it now asks what `reserve add` asks.
TEST_F(ReservePolicy, AReserveThatReserveAddWouldRefuseIsNotPublishedWithoutForce) {
  auto weak = make_cert({.common_name = "weak",
                         .not_after_days = 398,
                         .key = testing_support::KeyKind::kRsa1024,
                         .dns_names = {"ns.example"},
                         .digest = "sha1"});
  std::string file = home_.write("weak.pem", weak.pem());
  std::string index_before = read_file(policies() + "/index.xml");
  auto refused = run_cli({"policy", "reserve", file, policies()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  for (const char* finding : {"key_too_small", "signature_not_sha2", "validity_over_397_days"}) {
    EXPECT_NE(refused.err.find(finding), std::string::npos) << finding << ": " << refused.err;
  }
  EXPECT_EQ(read_file(policies() + "/index.xml"), index_before);
  EXPECT_FALSE(testing_support::file_exists(policies() + "/reserve-" + weak.sha256().substr(0, 16) +
                                            ".xml"));
  auto forced = run_cli({"policy", "reserve", file, policies(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("WARNING: --force: "), std::string::npos) << forced.err;
}

// klsetsrvcert's date form is accepted, as UTC.
TEST_F(ReservePolicy, TheLegacyDayFirstDateIsAccepted) {
  std::string file = home_.write("next.pem", next_.pem());
  auto r = run_cli(
      {"policy", "reserve", file, policies(), "--activate-at", "10-01-2027 02:30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["activates"], "2027-01-10T02:30:00Z");
  auto bad = run_cli({"policy", "reserve", file, policies(), "--activate-at", "31-02-2027 02:30"});
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
