// Rollover as a user lives it, against real TLS servers: a reserve trusted before the server
// switches, the pin that follows it, reserves published by policy, and expired certificates that
// leave the agent-managed sources once their successor is there.
#include "tests/agent/rollover_fixture.h"

namespace {

TEST_F(Rollover, TheServerSwitchesToItsReserveAndConnectStillWorks) {
  home_.write("etc/cainfo.pem", current_.pem());
  std::string reserve_file = home_.write("in/reserve.pem", reserve_.pem());
  auto added = run({"reserve", "add", reserve_file, "--activate-at", in_days(10), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  json a = json::parse(added.out);
  EXPECT_EQ(a["reserves"][0]["sha256"], reserve_.sha256());
  EXPECT_EQ(a["reserves"][0]["status"], "pending");
  EXPECT_EQ(anchors_in("cainfo-reserve.pem"), std::vector<std::string>{reserve_.sha256()});

  {
    auto before = serve(current_);
    json j = connect_json(*before);
    ASSERT_EQ(j["ok"], true) << j.dump();
    EXPECT_EQ(j["anchor"]["role"], "current");
    EXPECT_EQ(j["anchor"]["sha256"], current_.sha256());
  }
  auto after = serve(reserve_);  // the server restarted with its reserve certificate
  json j = connect_json(*after);
  ASSERT_EQ(j["ok"], true) << j.dump();
  EXPECT_EQ(j["anchor"]["role"], "reserve");
  EXPECT_EQ(j["anchor"]["sha256"], reserve_.sha256());
  auto text = run({"connect", after->address()});
  EXPECT_NE(text.out.find("(reserve)"), std::string::npos) << text.out;
}

TEST_F(Rollover, WithoutTheReserveTheSwitchIsAnOutageThatNamesTheNewCertificate) {
  home_.write("etc/cainfo.pem", current_.pem());
  auto after = serve(reserve_);
  auto r = run({"connect", after->address(), "--json"});
  EXPECT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], "untrusted");
  EXPECT_EQ(j["chain"][0]["sha256"], reserve_.sha256());
  auto text = run({"connect", after->address()});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.err.find(reserve_.sha256()), std::string::npos) << text.err;
}

TEST_F(Rollover, APinFollowsTheReserveFromTheMomentItArrives) {
  home_.write("etc/cainfo.pem", current_.pem());
  pin_policy(current_.sha256());
  std::string reserve_file = home_.write("in/reserve.pem", reserve_.pem());
  ASSERT_EQ(run({"reserve", "add", reserve_file, "--activate-at", in_days(10)}).exit_code, 0);
  {
    auto old_server = serve(current_);
    EXPECT_EQ(connect_json(*old_server)["ok"], true);
  }
  auto new_server = serve(reserve_);
  json j = connect_json(*new_server);
  EXPECT_EQ(j["ok"], true) << j.dump();  // pinned on C, yet CR is accepted: the pin follows
  EXPECT_EQ(j["anchor"]["role"], "reserve");
}

TEST_F(Rollover, APinDoesNotFollowAReserveForAnotherServer) {
  home_.write("etc/cainfo.pem", current_.pem());
  pin_policy(current_.sha256());
  Issued elsewhere = make_cert({.common_name = "elsewhere", .dns_names = {"elsewhere.test"}});
  // `elsewhere` shares neither subject nor name with C, so it replaces nothing.
  ASSERT_EQ(run({"reserve", "add", home_.write("in/e.pem", elsewhere.pem())}).exit_code, 0);
  auto srv = serve(elsewhere);
  auto r = run({"connect", "--server", srv->address(), "--no-verify-host", "--json"});
  EXPECT_EQ(json::parse(r.out)["error"]["code"], "pin_mismatch");
}

TEST_F(Rollover, DefaultActivationIsWhenTheReplacedCertificateExpires) {
  home_.write("etc/cainfo.pem", current_.pem());
  auto added = run({"reserve", "add", home_.write("in/r.pem", reserve_.pem()), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  json r = json::parse(added.out)["reserves"][0];
  json listed = json::parse(run({"reserve", "list", "--json"}).out)["reserves"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["activate_at"], r["activate_at"]);
  EXPECT_EQ(listed[0]["origin"], "cli");
  // C expires in 20 days: that is when the reserve takes over.
  auto at = trust::from_iso8601(r["activate_at"].get<std::string>());
  ASSERT_TRUE(at);
  EXPECT_NEAR(static_cast<double>(*at - std::time(nullptr)), 20.0 * 86400, 120);
}

TEST_F(Rollover, AReserveMustBeNewAndRemovingItTakesItOutOfTheStore) {
  home_.write("etc/cainfo.pem", current_.pem());
  std::string current_file = home_.write("in/c.pem", current_.pem());
  auto twice = run({"reserve", "add", current_file});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("already a current anchor in cainfo.pem"), std::string::npos);
  EXPECT_FALSE(testing_support::file_exists(home_.etc("cainfo-reserve.pem")));

  ASSERT_EQ(run({"reserve", "add", home_.write("in/r.pem", reserve_.pem())}).exit_code, 0);
  auto gone = run({"reserve", "remove", reserve_.sha256()});
  ASSERT_EQ(gone.exit_code, 0) << gone.err;
  EXPECT_TRUE(anchors_in("cainfo-reserve.pem").empty());
  EXPECT_EQ(read_file(home_.etc("cainfo-merged.pem")).find(reserve_.sha256()), std::string::npos);
  EXPECT_EQ(json::parse(run({"reserve", "list", "--json"}).out)["reserves"].size(), 0u);
  EXPECT_EQ(run({"reserve", "remove", reserve_.sha256()}).exit_code, 2);
  EXPECT_EQ(run({"reserve", "add", home_.write("in/r.pem", reserve_.pem()), "--activate-at",
                 "next tuesday"})
                .exit_code,
            2);
}

TEST_F(Rollover, APolicyPublishesAReserveAndWithdrawsItWhilePending) {
  home_.write("etc/cainfo.pem", current_.pem());
  home_.write("var/policies/r.xml", "<Policy guid=\"rsv-1\"><ReserveCertificate ActivateAt=\"" +
                                        in_days(5) + "\">" + reserve_.pem() +
                                        "</ReserveCertificate></Policy>");
  auto merged = run({"merge"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_NE(merged.err.find("rollover: reserve 'CN=localhost"), std::string::npos) << merged.err;
  EXPECT_EQ(anchors_in("cainfo-reserve.pem"), std::vector<std::string>{reserve_.sha256()});
  json listed = json::parse(run({"reserve", "list", "--json"}).out)["reserves"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["origin"], "rsv-1");
  EXPECT_EQ(listed[0]["status"], "pending");
  auto srv = serve(reserve_);
  EXPECT_EQ(connect_json(*srv)["anchor"]["role"], "reserve");

  // A damaged policy file is not a decision to withdraw: the reserve stays.
  home_.write("var/policies/r.xml", "<Policy guid=\"rsv-1\"><ReserveCert");
  auto damaged = run({"merge"});
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_NE(damaged.err.find("policy not applied"), std::string::npos) << damaged.err;
  EXPECT_EQ(anchors_in("cainfo-reserve.pem"), std::vector<std::string>{reserve_.sha256()});

  std::remove((home_.path() + "/var/policies/r.xml").c_str());
  auto withdrawn = run({"merge"});
  EXPECT_NE(withdrawn.err.find("withdrawn: policy rsv-1 no longer publishes it"), std::string::npos)
      << withdrawn.err;
  EXPECT_TRUE(anchors_in("cainfo-reserve.pem").empty());
  EXPECT_EQ(connect_json(*srv)["error"]["code"], "untrusted");
}

TEST_F(Rollover, AReservePutInTheFileByHandIsAdopted) {
  home_.write("etc/cainfo.pem", current_.pem());
  home_.write("etc/cainfo-reserve.pem", reserve_.pem());
  json listed = json::parse(run({"reserve", "list", "--json"}).out)["reserves"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["origin"], "file");
  EXPECT_EQ(listed[0]["status"], "pending");
}

TEST_F(Rollover, AnExpiredCertificateLeavesOnlyAfterAGracePeriodOnceItsSuccessorIsInUse) {
  Issued expired = make_cert({.common_name = "localhost",
                              .not_before_days = -400,
                              .not_after_days = -10,
                              .dns_names = {"localhost"}});
  // Expired five days when the pruning is due, within the grace period then.
  Issued just_expired = make_cert({.common_name = "localhost",
                                   .not_before_days = -400,
                                   .not_after_days = 3,
                                   .dns_names = {"localhost"}});
  Issued lone = make_cert({.common_name = "lone", .not_before_days = -400, .not_after_days = -10});
  home_.write("etc/cainfo.pem", expired.pem() + just_expired.pem() + current_.pem() + lone.pem());
  std::string admin = home_.write("corp/ca.pem", expired.pem() + current_.pem());
  auto before = run({"merge", "--ca-file", admin});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  // The successor is there, but no server has been seen presenting it: the clock alone decides
  // nothing.
  EXPECT_EQ(before.err.find("removed expired"), std::string::npos) << before.err;
  EXPECT_EQ(anchors_in("cainfo.pem").size(), 4u);

  auto server = serve(current_);
  ASSERT_EQ(connect_json(*server)["ok"], true);
  // The successor was seen just now: the grace period runs from its first sighting.
  auto seen_now = run({"merge", "--ca-file", admin});
  EXPECT_EQ(seen_now.err.find("removed expired"), std::string::npos) << seen_now.err;
  EXPECT_EQ(anchors_in("cainfo.pem").size(), 4u);
  auto r = run_at("+8d", {"merge", "--ca-file", admin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rollover: removed expired 'CN=localhost"), std::string::npos) << r.err;
  // Long expired goes; five days expired is within the grace period; the one with no
  // successor stays (nothing replaces it, so a human decides); the admin's file is never touched.
  EXPECT_EQ(anchors_in("cainfo.pem"),
            (std::vector<std::string>{just_expired.sha256(), current_.sha256(), lone.sha256()}));
  EXPECT_EQ(read_file(admin), expired.pem() + current_.pem());
  // Kept where it can be brought back from, never deleted.
  auto retired = trust::read_certificates(read_file(home_.path() + "/var/retired.pem"));
  ASSERT_EQ(retired.certs.size(), 1u);
  EXPECT_EQ(trust::to_hex(retired.certs[0].sha256), expired.sha256());

  // Brought back by a person, it stays: the same maintenance does not prune it again.
  auto back = run_at("+8d", {"add", home_.path() + "/var/retired.pem", "--json"}, true);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(json::parse(back.out)["restored"], json::array({expired.sha256()}));
  EXPECT_NE(back.err.find("brought back from retired.pem for good"), std::string::npos) << back.err;
  auto again = run_at("+9d", {"merge", "--ca-file", admin}, true);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("removed expired"), std::string::npos) << again.err;
  auto held = anchors_in("cainfo.pem");
  EXPECT_NE(std::find(held.begin(), held.end(), expired.sha256()), held.end());
  EXPECT_TRUE(trust::read_certificates(read_file(home_.path() + "/var/retired.pem")).certs.empty());
}

}  // namespace

namespace {

TEST_F(Rollover, BadReserveInputChangesNothing) {
  home_.write("etc/cainfo.pem", current_.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  auto before = testing_support::snapshot(home_.path());
  auto missing = run({"reserve", "add", home_.path() + "/in/none.pem"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(home_.path() + "/in/none.pem"), std::string::npos) << missing.err;
  std::string junk = home_.write("in/junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n");
  before["in/junk.pem"] = read_file(junk);
  auto garbage = run({"reserve", "add", junk});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.err.find(junk + ": no certificate in it"), std::string::npos) << garbage.err;
  auto bad_fp = run({"reserve", "remove", "not-a-fingerprint"});
  EXPECT_EQ(bad_fp.exit_code, 2);
  EXPECT_EQ(testing_support::snapshot(home_.path()), before);
}

}  // namespace
