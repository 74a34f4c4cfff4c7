// Signed policy against real servers: nginx central servers on loopback (one honest, one lying
// mirror), signer keys generated here, and `openssl cms -verify` asked about every signature the
// agent accepts or refuses, so the two can never disagree unnoticed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

std::string trust_fingerprint(const std::string& pem) {
  auto read = trust::read_certificates(pem);
  return read.certs.empty() ? "" : "sha256:" + trust::to_hex(read.certs.front().sha256);
}

class SignedPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    // Valid since a month ago, so that a publish can be dated in the past.
    signer1_ = keep_signer("signer1",
                           make_cert({.common_name = "Policy signer 1", .not_before_days = -30}));
    signer2_ = keep_signer("signer2",
                           make_cert({.common_name = "Policy signer 2", .not_before_days = -30}));
    policy("aaaa-1", 1, "<Refresh IntervalSeconds=\"600\"/>");
    ASSERT_EQ(publish(signer1_).exit_code, 0);
    auto server = testing_support::CentralServer::start(srv());
    url_ = server.url;
    ASSERT_FALSE(url_.empty()) << "nginx did not start (is it installed?)";
    ASSERT_EQ(run({"add", server.cert}).exit_code, 0);
    auto trusted = run({"policy", "trust-signer", signer1_.cert, "--fingerprint", signer1_.sha256});
    ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  }
  void TearDown() override {
    testing_support::CentralServer::stop(srv());
    if (testing_support::file_exists(mirror_dir())) {
      testing_support::CentralServer::stop(mirror_dir());
    }
  }

  struct Signer {
    std::string cert, key, sha256;
  };
  Signer keep_signer(const std::string& name, const Issued& issued) {
    return {home_.write("publisher/" + name + ".pem", issued.pem()),
            home_.write("publisher/" + name + ".key", issued.key_pem()), issued.sha256()};
  }

  std::string srv() const { return home_.path() + "/srv"; }
  std::string mirror_dir() const { return home_.path() + "/mirror"; }
  std::string index() const { return srv() + "/policies/index.xml"; }

  void policy(const std::string& guid, int revision, const std::string& body,
              const std::string& dir = "") {
    home_.write((dir.empty() ? std::string("srv") : dir) + "/policies/" + guid + ".xml",
                "<Policy guid=\"" + guid + "\" revision=\"" + std::to_string(revision) +
                    "\" priority=\"10\">" + body + "</Policy>\n");
  }
  // The publisher's side: no home of its own is needed to sign.
  CliResult publish(const Signer& s, std::vector<std::string> extra = {},
                    const std::string& clock = "", const std::string& dir = "") {
    std::vector<std::string> args = {
        "policy",      "publish", (dir.empty() ? srv() : dir) + "/policies", "--sign-key", s.key,
        "--sign-cert", s.cert};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args, {}, clock.empty() ? "" : testing_support::wall_clock_moved(clock));
    // nginx's ETag is the mtime in whole seconds: each publish must look new to it.
    static int bump = 0;
    testing_support::move_mtime_forward(index(), 10 * ++bump);
    return r;
  }
  CliResult run(std::vector<std::string> args, const std::string& clock = "") {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args, {}, clock.empty() ? "" : testing_support::wall_clock_moved(clock));
  }
  CliResult refresh(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"policy", "refresh", "--server", url_, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  // What `openssl cms -verify` says of the index and its signature, with `signers` trusted the
  // way the agent trusts them: as the only possible signers, each its own anchor.
  bool openssl_accepts(const std::vector<std::string>& signer_files, const std::string& dir = "") {
    std::string bundle = home_.path() + "/openssl-signers.pem";
    std::string all;
    for (const auto& f : signer_files) all += read_file(f);
    home_.write("openssl-signers.pem", all);
    std::string policies = (dir.empty() ? srv() : dir) + "/policies";
    std::string cmd = "openssl cms -verify -binary -inform DER -in " + policies +
                      "/index.xml.sig -content " + policies + "/index.xml -nointern -certfile " +
                      bundle + " -CAfile " + bundle +
                      " -partial_chain -purpose any -out /dev/null 2>/dev/null";
    return std::system(cmd.c_str()) == 0;
  }
  std::string stored(const std::string& guid) {
    return read_file(home_.path() + "/var/policies/" + guid + ".xml");
  }
  std::vector<std::string> warning_codes(const std::string& clock = "") {
    auto r = run({"status", "--json"}, clock);
    std::vector<std::string> out;
    json doc = json::parse(r.out);
    for (const auto& w : doc["warnings"]) out.push_back(w["code"]);
    return out;
  }
  static bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }
  // The central server restarts on its port with a certificate the endpoint has never seen.
  Issued switch_central_certificate() {
    Issued next = make_cert({.common_name = "trustagent central server (next)",
                             .dns_names = {"localhost"},
                             .ip_addresses = {"127.0.0.1"}});
    std::string port = url_.substr(url_.rfind(':') + 1);
    testing_support::CentralServer::stop(srv());
    home_.write("srv/.central-server/cert.pem", next.pem());
    home_.write("srv/.central-server/key.pem", next.key_pem());
    EXPECT_EQ(testing_support::CentralServer::start(srv(), port).url, url_);
    return next;
  }
  // A first good refresh, so every refusal below is a refusal to change what is in force.
  void accept_first_index() {
    auto r = refresh();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(json::parse(r.out)["installed"], json({"aaaa-1"}));
  }
  void expect_refused(const CliResult& r, const std::string& why) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
    EXPECT_NE(stored("aaaa-1").find("revision=\"1\""), std::string::npos)
        << "the policy in force changed";
  }

  testing_support::TempHome home_;
  Signer signer1_, signer2_;
  std::string url_;
};

TEST_F(SignedPolicy, AGoodSignatureIsAcceptedAndOpensslAgrees) {
  ASSERT_TRUE(openssl_accepts({signer1_.cert}));
  auto r = refresh();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["installed"], json({"aaaa-1"}));
  EXPECT_EQ(j["signed"]["signer"]["sha256"], signer1_.sha256);
  EXPECT_GT(j["signed"]["serial"].get<int64_t>(), 0);
  EXPECT_EQ(j["unauthenticated_server"], nullptr);
  json status = json::parse(run({"status", "--json"}).out);
  EXPECT_EQ(status["policy_signing"]["mode"], "signed");
  EXPECT_EQ(status["policy_signing"]["index"]["serial"], j["signed"]["serial"]);
  // A quiet fleet still costs one 304 per interval: the signature is fetched only with an index.
  auto again = refresh();
  EXPECT_EQ(json::parse(again.out)["not_modified"], true) << again.err;
  EXPECT_EQ(json::parse(again.out)["requests"], 1);
}

TEST_F(SignedPolicy, AnIndexSignedByAnotherKeyIsRefused) {
  accept_first_index();
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer2_).exit_code, 0);
  EXPECT_FALSE(openssl_accepts({signer1_.cert}));
  EXPECT_TRUE(openssl_accepts({signer2_.cert}));
  expect_refused(refresh(), "bad signature");
}

TEST_F(SignedPolicy, ATamperedIndexIsRefused) {
  accept_first_index();
  std::string text = read_file(index());
  size_t at = text.find("revision=\"1\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "revision=\"7\"");
  home_.write("srv/policies/index.xml", text);
  testing_support::move_mtime_forward(index(), 100);
  EXPECT_FALSE(openssl_accepts({signer1_.cert}));
  expect_refused(refresh(), "bad signature");
}

TEST_F(SignedPolicy, ATamperedPolicyIsRefusedByItsHash) {
  accept_first_index();
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  policy("aaaa-1", 3, "<CurlSSL SSLVerifyPeer=\"no\"/>");  // changed after signing
  EXPECT_TRUE(openssl_accepts({signer1_.cert}));           // the index itself is intact
  auto r = refresh();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("does not match the index's"), std::string::npos) << r.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"1\""), std::string::npos);
}

TEST_F(SignedPolicy, AReplayedOlderIndexIsRefusedThoughItsSignatureIsGood) {
  std::string old_index = read_file(index());
  std::string old_sig = read_file(index() + ".sig");
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  auto r = refresh();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);
  home_.write("srv/policies/index.xml", old_index);
  home_.write("srv/policies/index.xml.sig", old_sig);
  policy("aaaa-1", 1, "<Refresh IntervalSeconds=\"600\"/>");
  testing_support::move_mtime_forward(index(), 300);
  EXPECT_TRUE(openssl_accepts({signer1_.cert}));  // only the serial tells a replay
  auto replay = refresh();
  EXPECT_EQ(replay.exit_code, 1) << replay.err;
  EXPECT_NE(replay.err.find("is older than the accepted"), std::string::npos) << replay.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);
}

TEST_F(SignedPolicy, AnExpiredIndexIsRefusedAndStatusSaysSo) {
  accept_first_index();
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  // Published eight days ago with the default week of validity: expired yesterday.
  auto published = publish(signer1_, {}, "-8d");
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_TRUE(openssl_accepts({signer1_.cert}));  // the signature is fine; the index is stale
  expect_refused(refresh(), "expired at");
  // What is in force expires too: a frozen endpoint says so before and after.
  EXPECT_FALSE(has(warning_codes(), "policy_index_expiring"));
  EXPECT_TRUE(has(warning_codes("+6d"), "policy_index_expiring"));
  EXPECT_TRUE(has(warning_codes("+8d"), "policy_index_expired"));
  auto text = run({"status"}, "+8d");
  EXPECT_NE(text.out.find("signer CN=Policy signer 1"), std::string::npos) << text.out;
}

TEST_F(SignedPolicy, AnIndexWithoutSignatureIsRefusedOnceSignersAreConfigured) {
  accept_first_index();
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  // The publisher refuses first: a signed folder stays signed unless it is forced.
  auto refused = run_cli({"policy", "publish", srv() + "/policies"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("would refuse an unsigned index"), std::string::npos) << refused.err;
  EXPECT_TRUE(testing_support::file_exists(index() + ".sig"));
  auto unsigned_publish = run_cli({"policy", "publish", srv() + "/policies", "--force"});
  ASSERT_EQ(unsigned_publish.exit_code, 0) << unsigned_publish.err;
  EXPECT_NE(unsigned_publish.err.find("removed"), std::string::npos) << unsigned_publish.err;
  testing_support::move_mtime_forward(index(), 200);
  EXPECT_FALSE(testing_support::file_exists(index() + ".sig"));
  expect_refused(refresh(), "no signature");
}

TEST_F(SignedPolicy, ASignerRotatesWithoutTouchingTheEndpoint) {
  accept_first_index();
  // Signed by the current signer, the index names the next one.
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer1_, {"--next-signers", signer2_.cert}).exit_code, 0);
  auto rotated = refresh();
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_EQ(json::parse(rotated.out)["signed"]["signers_replaced"], true);
  json signers = json::parse(run({"policy", "signers", "--json"}).out)["signers"];
  ASSERT_EQ(signers.size(), 1u);
  EXPECT_EQ(signers[0]["sha256"], signer2_.sha256);
  // The new signer now signs, and the old one can sign nothing.
  policy("aaaa-1", 3, "<Refresh IntervalSeconds=\"1200\"/>");
  ASSERT_EQ(publish(signer2_).exit_code, 0);
  auto by_new = refresh();
  ASSERT_EQ(by_new.exit_code, 0) << by_new.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"3\""), std::string::npos);
  policy("aaaa-1", 4, "<CurlSSL SSLVerifyPeer=\"no\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  auto by_old = refresh();
  EXPECT_EQ(by_old.exit_code, 1) << by_old.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"3\""), std::string::npos);
}

// A signer whose certificate has expired signs nothing: the endpoint refuses what it signed, the
// publisher refuses to sign with it, and `trust-signer` refuses to install it.
TEST_F(SignedPolicy, AnExpiredSignerSignsNothing) {
  Signer short_lived =
      keep_signer("short", make_cert({.common_name = "Short-lived signer", .not_after_days = 2}));
  auto trusted =
      run({"policy", "trust-signer", short_lived.cert, "--fingerprint", short_lived.sha256});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_TRUE(has(warning_codes(), "policy_signer_expiring"));
  ASSERT_EQ(publish(short_lived).exit_code, 0);
  EXPECT_TRUE(openssl_accepts({short_lived.cert}));
  auto later = run({"policy", "refresh", "--server", url_, "--json"}, "+3d");
  EXPECT_EQ(later.exit_code, 1) << later.err;
  EXPECT_NE(later.err.find("certificate has expired"), std::string::npos) << later.err;
  auto refused = publish(short_lived, {}, "+3d");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("endpoints would refuse this signature"), std::string::npos)
      << refused.err;
  Signer expired = keep_signer(
      "expired",
      make_cert({.common_name = "Expired signer", .not_before_days = -30, .not_after_days = -1}));
  auto install = run({"policy", "trust-signer", expired.cert, "--fingerprint", expired.sha256});
  EXPECT_EQ(install.exit_code, 1) << install.err;
  EXPECT_NE(install.err.find("expired on"), std::string::npos) << install.err;
}

TEST_F(SignedPolicy, AnIndexSignedByOpensslIsAccepted) {
  std::string policies = srv() + "/policies";
  std::string sign = "openssl cms -sign -binary -outform DER -in " + policies +
                     "/index.xml -signer " + signer1_.cert + " -inkey " + signer1_.key + " -out " +
                     policies + "/index.xml.sig";
  ASSERT_EQ(std::system(sign.c_str()), 0);
  auto r = refresh();
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// The central server switches to a certificate the endpoint does not have. In legacy mode that
// loses the endpoint; with signed policy it heals by itself from the very policy that publishes
// the new certificate, and only the index, its signature and policies cross the unauthenticated
// connection.
TEST_F(SignedPolicy, AnEndpointHealsFromASignedPolicyAfterTheServerSwitchesCertificate) {
  accept_first_index();
  testing_support::TempHome legacy;
  auto legacy_run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--home", legacy.path()});
    return run_cli(args);
  };
  ASSERT_EQ(legacy_run({"add", srv() + "/.central-server/cert.pem"}).exit_code, 0);

  Issued next = switch_central_certificate();
  policy("aaaa-1", 2,
         "<Refresh IntervalSeconds=\"600\"/><ReserveCertificate>" + next.pem() +
             "</ReserveCertificate>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  size_t log_before = read_file(srv() + "/.central-server/access.log").size();

  auto lost = legacy_run({"policy", "refresh", "--server", url_});
  EXPECT_EQ(lost.exit_code, 1) << "legacy mode cannot heal: " << lost.err;

  auto healed = refresh();
  ASSERT_EQ(healed.exit_code, 0) << healed.err;
  json j = json::parse(healed.out);
  EXPECT_EQ(j["installed"], json({"aaaa-1"}));
  EXPECT_EQ(j["unauthenticated_server"]["sha256"], next.sha256());
  EXPECT_NE(healed.err.find("WARNING"), std::string::npos);
  EXPECT_NE(healed.err.find("accepted by their signature"), std::string::npos) << healed.err;
  EXPECT_TRUE(has(warning_codes(), "central_server_unauthenticated"));

  // Nothing but signed content was asked of the unauthenticated server, and it learnt nothing
  // about the endpoint (no endpoint id in the User-Agent).
  std::string log = read_file(srv() + "/.central-server/access.log").substr(log_before);
  for (size_t at = 0; (at = log.find("\"GET ", at)) != std::string::npos; ++at) {
    std::string path = log.substr(at + 5, log.find(' ', at + 5) - at - 5);
    EXPECT_EQ(path.rfind("/policies/", 0), 0u) << path;
  }
  EXPECT_EQ(log.find("endpoint="), std::string::npos) << log;

  // The reserve made the new certificate an anchor: the server is authenticated again.
  auto connected = run({"connect", url_ + "/policies/index.xml"});
  EXPECT_EQ(connected.exit_code, 0) << connected.err;
  auto verified = refresh({"--full"});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(json::parse(verified.out)["unauthenticated_server"], nullptr);
  EXPECT_FALSE(has(warning_codes(), "central_server_unauthenticated"));
}

// Issue 23, item 6: on the cycle that heals an endpoint, status says what the server presents now
// (central_server_unauthenticated), not that it still presents the certificate it replaced.
TEST_F(SignedPolicy, TheHealingCycleGivesOneTruthfulWarning) {
  accept_first_index();
  std::string old = trust_fingerprint(read_file(srv() + "/.central-server/cert.pem"));
  Issued next = switch_central_certificate();
  policy("aaaa-1", 2,
         "<ReserveCertificate ActivateAt=\"" + trust::to_iso8601(std::time(nullptr) - 86400) +
             "\" Replaces=\"" + old + "\">" + next.pem() + "</ReserveCertificate>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  auto healed = refresh();
  ASSERT_EQ(healed.exit_code, 0) << healed.err;
  auto codes = warning_codes();
  EXPECT_TRUE(has(codes, "central_server_unauthenticated"));
  EXPECT_FALSE(has(codes, "server_not_switched"));
}

// Issue 23: a publisher killed between replacing the signature and the index left a pair that
// refused every endpoint's full refresh until a publish went through.
TEST_F(SignedPolicy, APublishKilledBetweenSignatureAndIndexIsCompletedByTheNextOne) {
  accept_first_index();
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  std::vector<std::string> args = {"policy",     "publish",     srv() + "/policies", "--sign-key",
                                   signer1_.key, "--sign-cert", signer1_.cert};
  auto killed = run_cli(args, {"TRUSTAGENT_TEST_CRASH=after-rename:index.xml.sig"});
  ASSERT_EQ(killed.exit_code, 86) << killed.err;
  EXPECT_FALSE(openssl_accepts({signer1_.cert})) << "the kill left a matching pair";
  // The next publish completes the killed one first, even though it fails itself (a key that is
  // not the certificate's).
  auto failing = run_cli({"policy", "publish", srv() + "/policies", "--sign-key", signer2_.key,
                          "--sign-cert", signer1_.cert});
  EXPECT_NE(failing.exit_code, 0);
  EXPECT_TRUE(openssl_accepts({signer1_.cert}));
  testing_support::move_mtime_forward(index(), 500);
  auto r = refresh();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);
  EXPECT_FALSE(testing_support::file_exists(srv() + "/policies/.index.xml.sig.next"));
}

TEST_F(SignedPolicy, WithoutSignersAnUntrustedServerIsStillRefused) {
  accept_first_index();
  ASSERT_EQ(run({"policy", "signers", "--remove", signer1_.sha256}).exit_code, 0);
  auto legacy = run({"policy", "signers"});
  EXPECT_NE(legacy.err.find("legacy mode"), std::string::npos) << legacy.err;
  switch_central_certificate();
  auto r = refresh();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("trustagent fetch"), std::string::npos) << r.err;
}

// Mirrors: a lying one is refused and the next is tried; a stale one loses to the freshest.
TEST_F(SignedPolicy, AMirrorThatLiesIsRefusedAndTheHonestOneIsTaken) {
  std::filesystem::create_directories(mirror_dir());
  std::filesystem::copy(srv() + "/policies", mirror_dir() + "/policies",
                        std::filesystem::copy_options::recursive);
  policy("aaaa-1", 9, "<CurlSSL SSLVerifyPeer=\"no\"/>", "mirror");  // tampered after signing
  std::string tampered = read_file(mirror_dir() + "/policies/index.xml");
  tampered.replace(tampered.find("revision=\"1\""), 12, "revision=\"9\"");
  home_.write("mirror/policies/index.xml", tampered);
  auto liar = testing_support::CentralServer::start(mirror_dir());
  ASSERT_FALSE(liar.url.empty());
  ASSERT_EQ(run({"add", liar.cert}).exit_code, 0);

  // The liar is asked first.
  auto r = run({"policy", "refresh", "--server", liar.url, "--mirror", url_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["from"], url_ + "/policies/index.xml");
  ASSERT_EQ(j["servers_refused"].size(), 1u);
  EXPECT_NE(j["servers_refused"][0].get<std::string>().find("bad signature"), std::string::npos);
  EXPECT_NE(stored("aaaa-1").find("revision=\"1\""), std::string::npos);
  EXPECT_NE(r.err.find("central server not taken"), std::string::npos) << r.err;
}

TEST_F(SignedPolicy, TheFreshestSignedIndexWinsOverAStaleMirror) {
  std::filesystem::create_directories(mirror_dir());
  std::filesystem::copy(srv() + "/policies", mirror_dir() + "/policies",
                        std::filesystem::copy_options::recursive);  // serial N, revision 1
  auto stale = testing_support::CentralServer::start(mirror_dir());
  ASSERT_FALSE(stale.url.empty());
  ASSERT_EQ(run({"add", stale.cert}).exit_code, 0);
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);  // the honest server moves on

  auto r = run({"policy", "refresh", "--server", stale.url, "--mirror", url_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["from"], url_ + "/policies/index.xml");
  EXPECT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);
  // Next time the stale mirror's older serial is a replay, and says so.
  auto again = run({"policy", "refresh", "--server", stale.url, "--mirror", url_, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json j = json::parse(again.out);
  ASSERT_EQ(j["servers_refused"].size(), 1u);
  EXPECT_NE(j["servers_refused"][0].get<std::string>().find("older than the accepted"),
            std::string::npos);
}

TEST_F(SignedPolicy, APolicyCanNameTheMirrors) {
  home_.write("mirror/policies/.keep", "");
  auto mirror = testing_support::CentralServer::start(mirror_dir());
  ASSERT_FALSE(mirror.url.empty());
  ASSERT_EQ(run({"add", mirror.cert}).exit_code, 0);
  std::string port = mirror.url.substr(mirror.url.rfind(':') + 1);
  policy("aaaa-1", 2, "<Mirror Address=\"localhost\" Port=\"" + port + "\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  for (const char* f : {"index.xml", "index.xml.sig", "aaaa-1.xml"}) {
    std::filesystem::copy_file(srv() + "/policies/" + f, mirror_dir() + "/policies/" + f);
  }
  auto first = refresh();
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(stored("aaaa-1").find("<Mirror"), std::string::npos);
  // The main server goes away; the policy's mirror carries on.
  testing_support::CentralServer::stop(srv());
  auto r = run({"policy", "refresh", "--json", "--full"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["from"], mirror.url + "/policies/index.xml");
}

TEST_F(SignedPolicy, TrustingASignerNeedsItsFingerprintAndNeverTakesAKey) {
  testing_support::TempHome other;
  auto in_other = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--home", other.path()});
    return run_cli(args);
  };
  auto wrong =
      in_other({"policy", "trust-signer", signer2_.cert, "--fingerprint", signer1_.sha256});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_NE(wrong.err.find("no certificate with sha256"), std::string::npos) << wrong.err;
  std::string with_key =
      other.write("signer-and-key.pem", read_file(signer2_.key) + read_file(signer2_.cert));
  auto key = in_other({"policy", "trust-signer", with_key, "--fingerprint", signer2_.sha256});
  EXPECT_EQ(key.exit_code, 2) << key.err;
  EXPECT_NE(key.err.find("private key"), std::string::npos) << key.err;
  EXPECT_FALSE(testing_support::file_exists(other.path() + "/etc/policy-signers.pem"));
}

// A signers file that is present but broken must never mean "no signers": that would be a
// downgrade to TLS-only policy by damaging one file.
TEST_F(SignedPolicy, ADamagedSignersFileRefusesEveryIndexInsteadOfFallingBackToLegacy) {
  accept_first_index();
  home_.write("etc/policy-signers.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  policy("aaaa-1", 2, "<CurlSSL SSLVerifyPeer=\"no\"/>");
  testing_support::CentralServer::stop(srv());  // an unsigned index from a trusted server
  auto unsigned_publish = run_cli({"policy", "publish", srv() + "/policies", "--force"});
  ASSERT_EQ(unsigned_publish.exit_code, 0);
  ASSERT_FALSE(
      testing_support::CentralServer::start(srv(), url_.substr(url_.rfind(':') + 1)).url.empty());
  auto r = refresh();
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("policy-signers.pem"), std::string::npos) << r.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"1\""), std::string::npos);
  EXPECT_TRUE(has(warning_codes(), "policy_signers_refused"));
}

// Review findings (each failed before its fix).

// A server the store does not authenticate gets no conditional GET, so it cannot answer 304 for
// content it never showed; a subject of any length cannot make the record unreadable; and a
// record that is damaged refuses every index instead of forgetting the serial.
TEST_F(SignedPolicy, AnUnauthenticatedServerCannotAnswerNotModifiedNorBloatTheRecord) {
  accept_first_index();
  std::string old_serial_text = read_file(home_.path() + "/var/state/policy-index.state");
  Issued hostile = make_cert({.common_name = "x",
                              .dns_names = {"localhost"},
                              .ip_addresses = {"127.0.0.1"},
                              .raw_subject = {{"O", std::string(20000, '\t')}}});
  std::string port = url_.substr(url_.rfind(':') + 1);
  testing_support::CentralServer::stop(srv());
  home_.write("srv/.central-server/cert.pem", hostile.pem());
  home_.write("srv/.central-server/key.pem", hostile.key_pem());
  ASSERT_EQ(testing_support::CentralServer::start(srv(), port).url, url_);
  auto r = refresh();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["not_modified"], false);  // a whole, signed index was needed
  EXPECT_EQ(j["unauthenticated_server"]["sha256"], hostile.sha256());
  std::string record = read_file(home_.path() + "/var/state/policy-index.state");
  EXPECT_LT(record.size(), 4096u);
  EXPECT_EQ(std::count(record.begin(), record.end(), '\n'), 10);
  json status = json::parse(run({"status", "--json"}).out);
  EXPECT_FALSE(status["policy_signing"]["index"].is_null());

  home_.write("var/state/policy-index.state", "garbage\n");
  auto damaged = refresh();
  EXPECT_EQ(damaged.exit_code, 2) << damaged.err;
  EXPECT_NE(damaged.err.find("refusing every policy index"), std::string::npos) << damaged.err;
  EXPECT_TRUE(has(warning_codes(), "policy_index_state_damaged"));
}

// A policy that could not be downloaded (a mirror still syncing) is asked for again at the next
// refresh, not hidden behind a 304.
TEST_F(SignedPolicy, APolicyThatFailedToDownloadIsFetchedAgain) {
  policy("bbbb-2", 1, "<Refresh JitterSeconds=\"30\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  std::filesystem::rename(srv() + "/policies/bbbb-2.xml", srv() + "/bbbb-2.xml");
  auto missing = refresh();
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  std::filesystem::rename(srv() + "/bbbb-2.xml", srv() + "/policies/bbbb-2.xml");
  auto again = refresh();
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["installed"], json({"bbbb-2"}));
}

// Signed policy is authorised by its signature: a policy pinning the main server is installed
// from a mirror that presents its own certificate.
TEST_F(SignedPolicy, WhichServerCarriedASignedPolicyDoesNotDecideItsPins) {
  std::string main_cert = read_file(srv() + "/.central-server/cert.pem");
  auto main_fp = trust_fingerprint(main_cert);
  policy("aaaa-1", 2, "<CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + main_fp + "\"/>");
  ASSERT_EQ(publish(signer1_).exit_code, 0);
  std::filesystem::create_directories(mirror_dir());
  std::filesystem::copy(srv() + "/policies", mirror_dir() + "/policies",
                        std::filesystem::copy_options::recursive);
  auto mirror = testing_support::CentralServer::start(mirror_dir());
  ASSERT_FALSE(mirror.url.empty());
  ASSERT_EQ(run({"add", mirror.cert}).exit_code, 0);
  testing_support::CentralServer::stop(srv());
  auto r = run({"policy", "refresh", "--server", url_, "--mirror", mirror.url, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(stored("aaaa-1").find(main_fp), std::string::npos);
}

// Rotation cannot end signing: the publisher refuses a next signer that could not sign, the
// endpoint refuses an index introducing one, and an endpoint that missed the rotation still
// accepts an index signed with the old and the new key together.
TEST_F(SignedPolicy, RotationNeverLeavesAnEndpointWithoutAUsableSigner) {
  accept_first_index();
  Signer ca_only = keep_signer("ca-only", make_cert({.common_name = "CA only", .is_ca = true}));
  auto refused = publish(signer1_, {"--next-signers", ca_only.cert});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("cannot be a policy signer"), std::string::npos) << refused.err;

  // Signed by both: an endpoint that knows only the old signer, and one that knows only the new.
  policy("aaaa-1", 2, "<Refresh IntervalSeconds=\"900\"/>");
  ASSERT_EQ(publish(signer1_, {"--sign-key", signer2_.key, "--sign-cert", signer2_.cert,
                               "--next-signers", signer2_.cert})
                .exit_code,
            0);
  EXPECT_TRUE(openssl_accepts({signer1_.cert, signer2_.cert}));
  testing_support::TempHome fresh;
  auto in_fresh = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--home", fresh.path()});
    return run_cli(args);
  };
  ASSERT_EQ(in_fresh({"add", srv() + "/.central-server/cert.pem"}).exit_code, 0);
  ASSERT_EQ(in_fresh({"policy", "trust-signer", signer2_.cert, "--fingerprint", signer2_.sha256})
                .exit_code,
            0);
  auto by_new = in_fresh({"policy", "refresh", "--server", url_});
  EXPECT_EQ(by_new.exit_code, 0) << by_new.err;
  auto by_old = refresh();
  ASSERT_EQ(by_old.exit_code, 0) << by_old.err;
  EXPECT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);

  // The same index fetched again does not undo a signer trusted here since.
  ASSERT_EQ(
      run({"policy", "trust-signer", signer1_.cert, "--fingerprint", signer1_.sha256}).exit_code,
      0);
  ASSERT_EQ(refresh({"--full"}).exit_code, 0);
  EXPECT_EQ(json::parse(run({"policy", "signers", "--json"}).out)["signers"].size(), 2u);
}

TEST_F(SignedPolicy, ThePublisherRefusesWhatWouldBreakTheSerialOrTheExpiry) {
  for (const char* days : {"nan", "1e300", "0.000001", "400"}) {
    auto r = publish(signer1_, {"--valid-days", days});
    EXPECT_EQ(r.exit_code, 2) << days << ": " << r.err;
  }
  home_.write("srv/policies/index.xml", "<PolicyIndex serial=\"oops\"/>");
  auto unreadable = publish(signer1_);
  EXPECT_EQ(unreadable.exit_code, 2) << unreadable.err;
  EXPECT_NE(unreadable.err.find("its serial is needed"), std::string::npos) << unreadable.err;
}

// Bad input on both sides, each refused with its message and nothing written: an encrypted key
// without or with a wrong passphrase, a key without its certificate, a SHA-1 fingerprint for a
// signer, and removing a signer that is not there.
TEST_F(SignedPolicy, BadSigningAndSignerInputIsRefusedAndChangesNothing) {
  std::string encrypted = home_.path() + "/publisher/encrypted.key";
  std::string cmd =
      "openssl pkey -in " + signer1_.key + " -aes-256-cbc -passout pass:s3cret -out " + encrypted;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string right = home_.write("publisher/pass", "s3cret\n");
  std::string wrong = home_.write("publisher/wrong", "nope\n");
  std::string index_before = read_file(index());
  std::string sig_before = read_file(index() + ".sig");
  auto base = std::vector<std::string>{"policy",  "publish",     srv() + "/policies", "--sign-key",
                                       encrypted, "--sign-cert", signer1_.cert};
  auto with = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  auto no_pass = with({});
  EXPECT_EQ(no_pass.exit_code, 2) << no_pass.err;
  EXPECT_NE(no_pass.err.find("the key is encrypted"), std::string::npos) << no_pass.err;
  auto bad_pass = with({"--sign-pass-file", wrong});
  EXPECT_EQ(bad_pass.exit_code, 2) << bad_pass.err;
  EXPECT_NE(bad_pass.err.find("wrong passphrase"), std::string::npos) << bad_pass.err;
  auto key_only = run_cli({"policy", "publish", srv() + "/policies", "--sign-key", encrypted});
  EXPECT_EQ(key_only.exit_code, 2) << key_only.err;
  EXPECT_EQ(read_file(index()), index_before);
  EXPECT_EQ(read_file(index() + ".sig"), sig_before);
  auto good = with({"--sign-pass-file", right});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(read_file(encrypted).find("ENCRYPTED PRIVATE KEY"), std::string::npos);  // it was

  std::string signers = read_file(home_.path() + "/etc/policy-signers.pem");
  auto sha1 = run(
      {"policy", "trust-signer", signer2_.cert, "--fingerprint", "sha1:" + std::string(40, 'a')});
  EXPECT_EQ(sha1.exit_code, 2) << sha1.err;
  EXPECT_NE(sha1.err.find("SHA-256"), std::string::npos) << sha1.err;
  auto absent = run({"policy", "signers", "--remove", signer2_.sha256});
  EXPECT_EQ(absent.exit_code, 2) << absent.err;
  EXPECT_NE(absent.err.find("no policy signer has sha256"), std::string::npos) << absent.err;
  EXPECT_EQ(read_file(home_.path() + "/etc/policy-signers.pem"), signers);
}

}  // namespace
