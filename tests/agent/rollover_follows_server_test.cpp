// Rollover follows what the server does, not the endpoint's clock alone (issue 13, items 5, 6, 7,
// 11 and 12): a reserve's activation time retires nothing, a clock a month fast deletes nothing,
// a replaced certificate leaves the store (for var/retired.pem) only once the server has presented
// its successor for the grace period, and a reserve replaces only certificates of its own server.
#include "tests/agent/rollover_fixture.h"

namespace {

std::vector<std::string> shas_in(const std::string& path) {
  std::vector<std::string> out;
  if (!testing_support::file_exists(path)) return out;
  for (const auto& c : trust::read_certificates(read_file(path)).certs) {
    out.push_back(trust::to_hex(c.sha256));
  }
  return out;
}

class RolloverFollowsServer : public Rollover {};

TEST_F(RolloverFollowsServer, ActivationAloneRetiresNoPinAndTheServerSwitchingDoesAfterTheGrace) {
  home_.write("etc/cainfo.pem", current_.pem());
  pin_policy(current_.sha256());
  std::string reserve_file = home_.write("in/reserve.pem", reserve_.pem());
  // The reserve's activation time has passed; the server has not switched yet.
  ASSERT_EQ(run({"reserve", "add", reserve_file, "--activate-at", in_days(-1)}).exit_code, 0);
  auto old_server = serve(current_);
  json old_j = connect_json(*old_server);
  EXPECT_EQ(old_j["ok"], true) << old_j.dump();  // 0.2.0: pin_mismatch, by the clock alone
  EXPECT_TRUE(status_codes().count("server_not_switched")) << run({"status"}).out;

  {
    auto new_server = serve(reserve_);  // the server switches: seen in use from now
    json j = connect_json(*new_server);
    ASSERT_EQ(j["ok"], true) << j.dump();
  }
  // Within the grace period the old certificate and its pin still work (a cluster half switched).
  EXPECT_EQ(connect_json(*old_server)["ok"], true);
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{current_.sha256()});
  // While the agent's own server was last seen presenting it, it never retires.
  auto still = run_at("+8d", {"merge"});
  EXPECT_EQ(still.err.find("retired"), std::string::npos) << still.err;
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{current_.sha256()});
  EXPECT_TRUE(status_codes("+8d").count("server_not_switched"));
  forget_boot();
  {
    auto new_server = serve(reserve_);  // the switch completes
    ASSERT_EQ(connect_json(*new_server)["ok"], true);
  }

  // Eight days later (the grace period is seven) the old certificate is retired.
  auto later = run_at("+8d", {"connect", "--server", old_server->address(), "--json"});
  EXPECT_EQ(later.exit_code, 1) << later.out;
  EXPECT_NE(later.err.find("rollover: retired 'CN=localhost"), std::string::npos) << later.err;
  EXPECT_TRUE(shas_in(home_.etc("cainfo.pem")).empty());
  EXPECT_EQ(shas_in(home_.path() + "/var/retired.pem"),
            std::vector<std::string>{current_.sha256()});
  auto new_server = serve(reserve_);
  auto now_new = run_at("+8d", {"connect", "--server", new_server->address(), "--json"}, true);
  ASSERT_EQ(now_new.exit_code, 0) << now_new.err;
  EXPECT_EQ(json::parse(now_new.out)["anchor"]["role"], "current");
  json st = json::parse(run_at("+8d", {"status", "--json"}, true).out);
  ASSERT_EQ(st["retired"].size(), 1u) << st.dump();
  EXPECT_EQ(st["retired"][0]["sha256"], current_.sha256());

  // An administrator brings it back: it stays (retirement happens once per reserve).
  auto restored = run_at("+8d", {"add", home_.path() + "/var/retired.pem"}, true);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(run_at("+8d", {"merge"}, true).exit_code, 0);
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{current_.sha256()});
}

TEST_F(RolloverFollowsServer, AClockAMonthFastDeletesNothingTheServerStillPresents) {
  home_.write("etc/cainfo.pem", current_.pem());
  ASSERT_EQ(run({"reserve", "add", home_.write("in/r.pem", reserve_.pem())}).exit_code, 0);
  auto server = serve(current_);
  ASSERT_EQ(connect_json(*server)["ok"], true);

  // Set 30 days fast in this boot: a jump, seen and reported; nothing is pruned.
  auto fast = run_at("+30d", {"merge"}, true);
  EXPECT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_NE(fast.err.find("the wall clock was set forward by 720 hours"), std::string::npos)
      << fast.err;
  EXPECT_TRUE(status_codes("+30d").count("clock_jump"));
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{current_.sha256()});

  // Fast across a reboot, where no jump can be seen: still nothing, since no server has been seen
  // presenting the reserve.
  auto rebooted = run_at("+31d", {"merge"});
  EXPECT_EQ(rebooted.exit_code, 0) << rebooted.err;
  EXPECT_EQ(rebooted.err.find("removed"), std::string::npos) << rebooted.err;
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{current_.sha256()});

  // The clock is right again (a backward jump, reported): the server is still trusted.
  forget_boot();
  json j = connect_json(*server);
  EXPECT_EQ(j["ok"], true) << j.dump();
  EXPECT_EQ(j["anchor"]["sha256"], current_.sha256());
}

TEST_F(RolloverFollowsServer, AReserveReplacesOnlyItsOwnServerOrWhatItNames) {
  // A site server and the notification server share one alias.
  Issued site = make_cert(
      {.common_name = "site", .not_after_days = 10, .dns_names = {"site.test", "alias.test"}});
  Issued ns_next = make_cert(
      {.common_name = "ns", .not_after_days = 390, .dns_names = {"ns.test", "alias.test"}});
  home_.write("etc/cainfo-ss.pem", site.pem());
  auto added = run({"reserve", "add", home_.write("in/ns.pem", ns_next.pem()), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_TRUE(json::parse(added.out)["reserves"][0]["replaces"].empty()) << added.out;
  // The site server's expiry warning is not silenced by another server's reserve.
  EXPECT_TRUE(status_codes().count("expires_soon_no_reserve"));

  // The same set of names under a new subject is the same server.
  Issued site_renamed = make_cert({.common_name = "site-2027",
                                   .not_after_days = 390,
                                   .dns_names = {"alias.test", "site.test"}});
  auto renamed = run({"reserve", "add", home_.write("in/s.pem", site_renamed.pem()), "--json"});
  ASSERT_EQ(renamed.exit_code, 0) << renamed.err;
  json r = json::parse(renamed.out)["reserves"][0];
  ASSERT_EQ(r["replaces"].size(), 3u) << renamed.out;  // its SHA-256, SHA-1 and SPKI pins
  EXPECT_EQ(r["replaces"][0], "sha256:" + site.sha256());
  EXPECT_FALSE(status_codes().count("expires_soon_no_reserve"));

  // An explicit --replaces overrides the guess, and must name a certificate the agent holds.
  ASSERT_EQ(run({"reserve", "remove", site_renamed.sha256()}).exit_code, 0);
  ASSERT_EQ(run({"reserve", "remove", ns_next.sha256()}).exit_code, 0);
  auto before = testing_support::snapshot(home_.path());
  auto unknown =
      run({"reserve", "add", home_.path() + "/in/ns.pem", "--replaces", std::string(64, 'a')});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no certificate with this fingerprint"), std::string::npos)
      << unknown.err;
  EXPECT_EQ(testing_support::snapshot(home_.path()), before);
  auto named =
      run({"reserve", "add", "--replaces", site.sha256(), home_.path() + "/in/ns.pem", "--json"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(json::parse(named.out)["reserves"][0]["replaces"][0], "sha256:" + site.sha256());
}

TEST_F(RolloverFollowsServer, AReserveIsTooSoonOnlyWhenItArrivedTooShortlyBeforeActivation) {
  home_.write("etc/cainfo.pem", current_.pem());
  // Arrived three days ahead: correct, then and in its last hour.
  ASSERT_EQ(
      run({"reserve", "add", home_.write("in/r.pem", reserve_.pem()), "--activate-at", in_days(3)})
          .exit_code,
      0);
  EXPECT_FALSE(status_codes().count("reserve_activation_too_soon"));
  forget_boot();
  EXPECT_FALSE(status_codes("+71h").count("reserve_activation_too_soon"));

  // Arrived 30 minutes before activation, with the default one-hour interval: too soon.
  Issued late = make_cert({.common_name = "other", .not_after_days = 300});
  ASSERT_EQ(run_at("+71h",
                   {"reserve", "add", home_.write("in/late.pem", late.pem()), "--activate-at",
                    trust::to_iso8601(std::time(nullptr) + 71 * 3600 + 1800)},
                   true)
                .exit_code,
            0);
  EXPECT_TRUE(status_codes("+71h").count("reserve_activation_too_soon"));

  // Activation is logged when it happens.
  auto activated = run_at("+73h", {"merge"}, true);
  EXPECT_NE(activated.err.find("rollover: reserve sha256 " + reserve_.sha256() + " activated on"),
            std::string::npos)
      << activated.err;
}

// Review finding: a renewal with the same key shares the key's SPKI pin with the certificate it
// replaces; retiring the old certificate must not retire the pin the administrator chose.
TEST_F(RolloverFollowsServer, ARenewalWithTheSameKeyKeepsTheKeyPin) {
  Issued renewed = make_cert({.common_name = "localhost",
                              .not_after_days = 390,
                              .dns_names = {"localhost"},
                              .shared_key = current_.key.get()});
  home_.write("etc/cainfo.pem", current_.pem());
  pin_policy(current_.spki_pin());
  auto added = run({"reserve", "add", home_.write("in/r.pem", renewed.pem()), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  json added_json = json::parse(added.out);
  for (const auto& pin : added_json["reserves"][0]["replaces"]) {
    EXPECT_NE(pin, current_.spki_pin()) << "the shared key pin is not the old certificate's";
  }
  {
    auto server = serve(renewed);
    ASSERT_EQ(connect_json(*server)["ok"], true);
  }
  auto later = run_at("+8d", {"merge"});
  EXPECT_NE(later.err.find("rollover: retired"), std::string::npos) << later.err;
  json st = json::parse(run_at("+8d", {"status", "--json"}, true).out);
  bool kept = false;
  for (const auto& p : st["policy"]["pins"]["value"]) kept = kept || p == current_.spki_pin();
  EXPECT_TRUE(kept) << st["policy"]["pins"].dump();
  // The next renewal with the same key still passes the pin.
  Issued next = make_cert({.common_name = "localhost",
                           .not_after_days = 700,
                           .dns_names = {"localhost"},
                           .shared_key = current_.key.get()});
  ASSERT_EQ(run_at("+8d", {"add", home_.write("in/n.pem", next.pem())}, true).exit_code, 0);
  auto server = serve(next);
  auto c = run_at("+8d", {"connect", "--server", server->address(), "--json"}, true);
  EXPECT_EQ(c.exit_code, 0) << c.out;
}

// Review finding: a replaced certificate without DNS/IP names never retires on sightings, so its
// pin must not retire either when the reserve is first seen (a server going back still works).
TEST_F(RolloverFollowsServer, APinOnACertificateWithoutNamesStaysAfterTheReserveIsSeen) {
  Issued a = make_cert({.common_name = "localhost", .not_after_days = 60});
  Issued b = make_cert({.common_name = "localhost", .not_after_days = 390});
  home_.write("etc/cainfo.pem", a.pem());
  pin_policy(a.sha256());
  ASSERT_EQ(run({"reserve", "add", home_.write("in/b.pem", b.pem())}).exit_code, 0);
  {
    auto switched = serve(b);
    ASSERT_EQ(connect_json(*switched)["ok"], true);
  }
  auto back = serve(a);  // the server went back
  json j = connect_json(*back);
  EXPECT_EQ(j["ok"], true) << j.dump();
}

// Review finding: in a CA rollover, one host under the new root is no proof that nothing uses
// the old one. A replaced CA never retires on sightings; it leaves once expired.
TEST_F(RolloverFollowsServer, AReplacedCertificateAuthorityIsNotRetiredOnSightings) {
  Issued g1 = make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 300});
  Issued g2 = make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 3000});
  Issued under_g2 = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &g2);
  home_.write("etc/cainfo.pem", g1.pem());
  ASSERT_EQ(run({"reserve", "add", home_.write("in/g2.pem", g2.pem())}).exit_code, 0);
  auto b = serve(under_g2, g2.pem());
  auto seen = run({"connect", b->address(), "--json"});
  ASSERT_EQ(seen.exit_code, 0) << seen.err;
  auto later = run_at("+30d", {"merge"});
  EXPECT_EQ(later.err.find("retired"), std::string::npos) << later.err;
  EXPECT_EQ(shas_in(home_.etc("cainfo.pem")), std::vector<std::string>{g1.sha256()});
}

// Review finding: the clock record must follow each boot, or a jump later in the boot goes
// unseen; and a forward jump pauses retirement for as long as it was.
TEST_F(RolloverFollowsServer, AJumpIsSeenInEveryBootAndPausesForAsLongAsItWas) {
  home_.write("etc/cainfo.pem", current_.pem());
  ASSERT_EQ(run({"reserve", "add", home_.write("in/r.pem", reserve_.pem())}).exit_code, 0);
  std::string path = home_.path() + "/var/state/reserves.state";
  std::string text = read_file(path);
  size_t clock = text.find("\nclock\t");
  ASSERT_NE(clock, std::string::npos);
  size_t id = text.find('\t', text.find('\t', clock + 7) + 1) + 1;  // the boot_id field
  home_.write("var/state/reserves.state",
              text.substr(0, id) + "another-boot" + text.substr(text.find('\t', id)));
  ASSERT_EQ(run({"merge"}).exit_code, 0);  // a new boot: the record is this boot's again
  auto fast = run_at("+8d", {"merge"}, true);
  EXPECT_NE(fast.err.find("the wall clock was set forward by 192 hours"), std::string::npos)
      << fast.err;
  EXPECT_NE(fast.err.find("paused until " +
                          trust::to_iso8601(std::time(nullptr) + 16 * 86400).substr(0, 10)),
            std::string::npos)
      << fast.err;
  EXPECT_TRUE(status_codes("+9d").count("clock_jump"));
}

}  // namespace
