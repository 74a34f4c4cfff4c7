// SSLNSPublicHttpsCertFingerprint pins the notification server, the agent's own server, as its
// legacy name says. Site servers and other hosts verify through the store; and a refresh never
// installs a policy whose pin the central server it came from fails, so a wrong pin cannot lock
// an endpoint out of the very server that would correct it. Real s_server and nginx peers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

class PinScope : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  void pin_policy(const std::string& pin) {
    home_.write(
        "var/policies/pin.xml",
        "<Policy guid=\"pin-1\" revision=\"1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + pin +
            "\"/></Policy>");
  }
  testing_support::TempHome home_;
};

TEST_F(PinScope, ASiteServerVerifiesThroughTheStoreNotThroughTheServerPin) {
  Issued ns = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  Issued site = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  home_.write("etc/cainfo.pem", ns.pem());
  home_.write("etc/cainfo-ss.pem", site.pem());
  pin_policy(ns.sha256());
  auto ns_server = testing_support::serve_certificate(home_, ns);
  auto site_server = testing_support::serve_certificate(home_, site);
  home_.write("etc/trustagent.conf", "server = " + ns_server->address() + "\n");

  auto to_site = run({"connect", site_server->address(), "--json"});
  EXPECT_EQ(to_site.exit_code, 0) << to_site.err;
  EXPECT_NE(to_site.err.find("are for the agent's own server"), std::string::npos) << to_site.err;
  auto to_own = run({"connect", "--json"});
  EXPECT_EQ(to_own.exit_code, 0) << to_own.err;

  // The pin still guards the agent's own server, however its address is written.
  pin_policy(std::string(64, 'e'));
  EXPECT_EQ(json::parse(run({"connect", "--json"}).out)["error"]["code"], "pin_mismatch");
  auto spelled =
      run({"connect", "https://LOCALHOST:" + std::to_string(ns_server->port()) + "/x", "--json"});
  EXPECT_EQ(json::parse(spelled.out)["error"]["code"], "pin_mismatch") << spelled.out;
  EXPECT_EQ(run({"connect", site_server->address()}).exit_code, 0);
}

TEST_F(PinScope, ARefreshNeverInstallsAPinItsCentralServerFails) {
  std::string srv = home_.path() + "/srv";
  auto write_policy = [&](int revision, const std::string& pin) {
    home_.write("srv/policies/pin-1.xml",
                "<Policy guid=\"pin-1\" revision=\"" + std::to_string(revision) +
                    "\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + pin + "\"/></Policy>\n");
    testing_support::move_mtime_forward(srv + "/policies/pin-1.xml", 10 * revision);
    ASSERT_EQ(run_cli({"policy", "publish", srv + "/policies"}).exit_code, 0);
  };
  write_policy(1, std::string(64, 'e'));
  auto central = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(central.url.empty()) << "nginx did not start";
  ASSERT_EQ(run({"add", central.cert}).exit_code, 0);
  std::string central_sha256 = trust::to_hex(
      trust::sha256_of(trust::read_certificates(read_file(central.cert)).certs.at(0).der));

  auto wrong = run({"policy", "refresh", "--server", central.url, "--json"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("pins none of the certificates this central server presents (sha256 " +
                           central_sha256 + ")"),
            std::string::npos)
      << wrong.err;
  EXPECT_FALSE(testing_support::file_exists(home_.path() + "/var/policies/pin-1.xml"));

  // Not locked out: the corrected policy arrives with the next refresh.
  write_policy(2, central_sha256);
  auto fixed = run({"policy", "refresh", "--server", central.url, "--full", "--json"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_TRUE(testing_support::file_exists(home_.path() + "/var/policies/pin-1.xml"));
  EXPECT_EQ(run({"policy", "refresh", "--server", central.url}).exit_code, 0);
  testing_support::CentralServer::stop(srv);
}

TEST_F(PinScope, PublishChecksEachPinnedPolicyAgainstTheLiveServerItNames) {
  Issued ns = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  auto server = testing_support::serve_certificate(home_, ns);
  ASSERT_GT(server->port(), 0);
  std::string dir = home_.path() + "/publish";
  auto write = [&](const std::string& pin, int port) {
    home_.write("publish/p.xml",
                "<Policy guid=\"p-1\" revision=\"1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" +
                    pin + "\"/><Server Address=\"localhost\" Port=\"" + std::to_string(port) +
                    "\"/></Policy>\n");
    std::remove((dir + "/index.xml").c_str());
  };
  std::string index = dir + "/index.xml";

  write(std::string(64, 'e'), server->port());
  auto locked = run({"policy", "publish", dir});
  EXPECT_EQ(locked.exit_code, 1) << locked.err;
  EXPECT_NE(
      locked.err.find("pins none of the certificates localhost:" + std::to_string(server->port()) +
                      " presents (sha256 " + ns.sha256() + ")"),
      std::string::npos)
      << locked.err;
  EXPECT_FALSE(testing_support::file_exists(index)) << "nothing published";
  auto forced = run({"policy", "publish", dir, "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("WARNING: --force: "), std::string::npos) << forced.err;
  EXPECT_TRUE(testing_support::file_exists(index));

  write(ns.sha256(), server->port());
  auto good = run({"policy", "publish", dir});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.err.find("a pin matches the certificate"), std::string::npos) << good.err;

  write(ns.sha256(), 1);  // nothing listens: cannot be checked, so not published
  auto unreachable = run({"policy", "publish", dir, "--timeout", "3"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
  EXPECT_NE(unreachable.err.find("could not be checked against localhost:1"), std::string::npos)
      << unreachable.err;
  EXPECT_FALSE(testing_support::file_exists(index));
}

TEST_F(PinScope, PolicyRemoveUndoesABadPolicyOnOneEndpointUntilAHigherRevision) {
  std::string srv = home_.path() + "/srv";
  // Revision 1 is bad: a CA file that does not exist, and a reserve nobody asked for.
  Issued rogue = make_cert({.common_name = "Rogue Root", .is_ca = true});
  auto publish = [&](int revision) {
    home_.write("srv/policies/bad-1.xml",
                "<Policy guid=\"bad-1\" revision=\"" + std::to_string(revision) +
                    "\"><CurlSSL CAInfo=\"/nonexistent/ca-r" + std::to_string(revision) +
                    ".pem\"/>" +
                    (revision == 1 ? "<ReserveCertificate>" + rogue.pem() + "</ReserveCertificate>"
                                   : std::string()) +
                    "</Policy>\n");
    testing_support::move_mtime_forward(srv + "/policies/bad-1.xml", 10 * revision);
    ASSERT_EQ(run_cli({"policy", "publish", srv + "/policies"}).exit_code, 0);
  };
  publish(1);
  auto central = testing_support::CentralServer::start(srv);
  ASSERT_FALSE(central.url.empty()) << "nginx did not start";
  ASSERT_EQ(run({"add", central.cert}).exit_code, 0);
  ASSERT_EQ(run({"policy", "refresh", "--server", central.url}).exit_code, 0);
  std::string stored = home_.path() + "/var/policies/bad-1.xml";
  ASSERT_TRUE(testing_support::file_exists(stored));
  ASSERT_NE(read_file(home_.path() + "/etc/cainfo-merged.pem").find(rogue.sha256()),
            std::string::npos);

  EXPECT_EQ(run({"policy", "remove", "../etc"}).exit_code, 2);
  EXPECT_EQ(run({"policy", "remove", "nope-1"}).exit_code, 2);
  auto removed = run({"policy", "remove", "bad-1", "--json"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(json::parse(removed.out)["held_back_through_revision"], 1);
  EXPECT_EQ(json::parse(removed.out)["withdrawn_reserves"], json::array({rogue.sha256()}));
  EXPECT_FALSE(testing_support::file_exists(stored));
  EXPECT_EQ(read_file(home_.path() + "/etc/cainfo-merged.pem").find(rogue.sha256()),
            std::string::npos)
      << "the bad policy's reserve goes with it";
  json shown = json::parse(run({"policy", "show", "--json"}).out);
  EXPECT_EQ(shown.dump().find("ca-r1.pem"), std::string::npos) << shown.dump();

  // The central server still lists revision 1: held back, even on a full refresh.
  auto again = run({"policy", "refresh", "--server", central.url, "--full", "--json"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["held_back"].size(), 1u) << again.out;
  EXPECT_FALSE(testing_support::file_exists(stored));

  // The corrected revision ends the hold.
  publish(2);
  auto fixed = run({"policy", "refresh", "--server", central.url, "--full", "--json"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_TRUE(testing_support::file_exists(stored));
  EXPECT_NE(read_file(stored).find("ca-r2.pem"), std::string::npos);
  EXPECT_EQ(read_file(home_.path() + "/var/state/held-back-policies"), "");
  testing_support::CentralServer::stop(srv);
}

}  // namespace
