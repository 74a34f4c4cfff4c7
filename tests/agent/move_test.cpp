// trustagent move as a transaction, against real servers: it commits only after the new server
// authenticated with the new certificate, and otherwise every file stays byte-identical.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/source_reader.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;

class Move : public ::testing::Test {
 protected:
  void SetUp() override {
    old_server_ = serve(old_cert_);
    home_.write("etc/cainfo.pem", old_cert_.pem());
    home_.write("etc/trustagent.conf", "# the agent's server\nserver = " + old_server_->address() +
                                           "\nlock-timeout = 5\n");
    ASSERT_EQ(run({"connect"}).exit_code, 0);  // settles the store and state before snapshots
    new_server_ = serve(new_cert_);
    new_file_ = home_.write("in/new.pem", new_cert_.pem());
    old_file_ = home_.write("in/old.pem", old_cert_.pem());
    before_ = testing_support::snapshot(home_.path());
  }
  testing_support::CliResult run(std::vector<std::string> args, const std::string& prefix = "") {
    args.insert(args.end(), {"--home", home_.path()});
    return testing_support::run_cli(args, {}, prefix);
  }
  std::unique_ptr<testing_support::TlsServer> serve(const Issued& leaf,
                                                    const std::string& chain = "") {
    auto server = testing_support::serve_certificate(home_, leaf, chain);
    EXPECT_GT(server->port(), 0);
    return server;
  }
  std::vector<std::string> move_to(const testing_support::TlsServer& s) {
    return {"move", "--address", "localhost", "--port", std::to_string(s.port())};
  }
  void expect_nothing_changed() {
    EXPECT_EQ(testing_support::snapshot(home_.path()), before_) << "a failed move changed files";
  }

  testing_support::TempHome home_;
  Issued old_cert_ = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  Issued new_cert_ = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  std::unique_ptr<testing_support::TlsServer> old_server_, new_server_;
  std::string new_file_, old_file_;
  std::map<std::string, std::string> before_;
};

TEST_F(Move, ToASecondServerWithItsCertificateFile) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--cert", new_file_, "--json"});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["committed"], true);
  EXPECT_EQ(j["verified_by"], new_cert_.sha256());
  EXPECT_EQ(read_file(home_.etc("cainfo.pem.bak")), old_cert_.pem());
  auto now_trusted = trust::read_certificates(read_file(home_.etc("cainfo.pem"))).certs;
  ASSERT_EQ(now_trusted.size(), 1u);
  EXPECT_EQ(trust::to_hex(now_trusted[0].sha256), new_cert_.sha256());
  std::string conf = read_file(home_.etc("trustagent.conf"));
  EXPECT_NE(conf.find("# the agent's server\nserver = " + new_server_->address() + "\n"),
            std::string::npos)
      << conf;
  EXPECT_NE(conf.find("lock-timeout = 5"), std::string::npos);  // other settings kept
  EXPECT_EQ(read_file(home_.etc("trustagent.conf.bak")), before_.at("etc/trustagent.conf"));
  // The configured server is now the new one, and the store authenticates it.
  auto c = run({"connect", "--json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json::parse(c.out)["anchor"]["sha256"], new_cert_.sha256());
}

TEST_F(Move, ToASecondServerByFingerprint) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--fingerprint", new_cert_.sha256()});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("moved to " + new_server_->address()), std::string::npos) << r.out;
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find(new_cert_.sha256()), std::string::npos);
  EXPECT_EQ(read_file(home_.etc("cainfo-merged.pem")).find(old_cert_.sha256()), std::string::npos);
}

TEST_F(Move, DryRunChangesNothing) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--fingerprint", new_cert_.sha256(), "--dry-run"});
  auto r = run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would add to cainfo.pem     " + new_cert_.sha256()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("would remove from cainfo.pem " + old_cert_.sha256()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("dry run: nothing changed"), std::string::npos) << r.out;
  expect_nothing_changed();
}

// Issue 13, item 4: a move replaces the old server's certificate only, and edits the config as
// a person would.
TEST_F(Move, KeepsEveryOtherAnchorAndWritesTheServerWhereTheConfigReaderTakesIt) {
  Issued root = make_cert({.common_name = "Corp Root", .is_ca = true});
  Issued service = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &root);
  ASSERT_EQ(run({"add", home_.write("in/root.pem", root.pem())}).exit_code, 0);
  home_.write("etc/trustagent.conf", "# the agent's server\nserver = " + old_server_->address() +
                                         "  # primary site\nlock-timeout = 5\n[later]\nx = 1\n");
  auto dry = run({"move", "--address", "localhost", "--port", std::to_string(new_server_->port()),
                  "--cert", new_file_, "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json d = json::parse(dry.out);
  ASSERT_EQ(d["cainfo"]["removed"].size(), 1u) << dry.out;
  EXPECT_EQ(d["cainfo"]["removed"][0]["sha256"], old_cert_.sha256());
  ASSERT_EQ(d["cainfo"]["added"].size(), 1u);
  EXPECT_EQ(d["cainfo"]["added"][0]["sha256"], new_cert_.sha256());

  auto moved = run({"move", "--address", "localhost", "--port", std::to_string(new_server_->port()),
                    "--cert", new_file_});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  std::vector<std::string> held;
  for (const auto& c : trust::read_certificates(read_file(home_.etc("cainfo.pem"))).certs) {
    held.push_back(trust::to_hex(c.sha256));
  }
  EXPECT_EQ(held, (std::vector<std::string>{root.sha256(), new_cert_.sha256()}));
  EXPECT_EQ(read_file(home_.etc("trustagent.conf")),
            "# the agent's server\nserver = " + new_server_->address() +
                "  # primary site\nlock-timeout = 5\n[later]\nx = 1\n");
  // The service under the corporate root still works.
  auto under_root = serve(service, root.pem());
  auto c = run({"connect", under_root->address(), "--json"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
}

// A policy pin the new server fails would refuse the agent's own server right after the move.
TEST_F(Move, APolicyPinTheNewServerFailsRefusesTheMove) {
  home_.write("var/policies/pin.xml",
              "<Policy guid=\"pin-1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" +
                  old_cert_.sha256() + "\"/></Policy>");
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  before_ = testing_support::snapshot(home_.path());
  auto r = run({"move", "--address", "localhost", "--port", std::to_string(new_server_->port()),
                "--cert", new_file_});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("policy pin-1 pins certificates the new server does not present"),
            std::string::npos)
      << r.err;
  expect_nothing_changed();
}

TEST_F(Move, AConfigEndingInASectionGetsTheServerAboveIt) {
  home_.write("etc/trustagent.conf", "lock-timeout = 5\n[later]\nx = 1\n");
  auto moved = run({"move", "--address", "localhost", "--port", std::to_string(new_server_->port()),
                    "--cert", new_file_});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(read_file(home_.etc("trustagent.conf")),
            "lock-timeout = 5\nserver = " + new_server_->address() + "\n[later]\nx = 1\n");
  auto c = run({"connect", "--json"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(json::parse(c.out)["anchor"]["sha256"], new_cert_.sha256());
}

TEST_F(Move, ToAClosedPortChangesNothing) {
  int closed = new_server_->port();
  new_server_.reset();
  auto r = run(
      {"move", "--address", "localhost", "--port", std::to_string(closed), "--cert", new_file_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing changed"), std::string::npos) << r.err;
  auto by_fp = run({"move", "--address", "localhost", "--port", std::to_string(closed),
                    "--fingerprint", new_cert_.sha256()});
  EXPECT_EQ(by_fp.exit_code, 3);
  expect_nothing_changed();
}

TEST_F(Move, AServerWithoutTheExpectedFingerprintChangesNothing) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--fingerprint", old_cert_.sha256()});
  auto r = run(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("presents no certificate with fingerprint " + old_cert_.sha256()),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(new_cert_.sha256()), std::string::npos);  // what it does present
  expect_nothing_changed();
}

TEST_F(Move, ACertificateTheNewServerDoesNotUseChangesNothing) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--cert", old_file_});
  auto r = run(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not authenticate with the new certificate"), std::string::npos)
      << r.err;
  expect_nothing_changed();
}

TEST_F(Move, NeedsACertificateOrAFingerprint) {
  auto r = run(move_to(*new_server_));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("never trusted unseen"), std::string::npos) << r.err;
  expect_nothing_changed();
}

TEST_F(Move, TheSystemHomeNeedsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the command as another user";
  auto r = testing_support::run_cli({"move", "--home", "/opt/trustagent", "--address", "localhost",
                                     "--fingerprint", new_cert_.sha256()},
                                    {}, "setpriv --reuid=nobody --regid=nogroup --clear-groups");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("needs root"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// Kaspersky's procedure hands the new server's certificate over as a .pfx: its certificate is
// taken with the password, its key never decrypted nor stored.
TEST_F(Move, ToASecondServerWithItsPkcs12) {
  std::string pfx =
      home_.write("in/new.pfx", testing_support::make_pkcs12(new_cert_, {}, "s3cret"));
  before_ = testing_support::snapshot(home_.path());
  auto wrong = move_to(*new_server_);
  wrong.insert(wrong.end(), {"--cert", pfx, "--password", "nope"});
  auto refused = run(wrong);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("password"), std::string::npos) << refused.err;
  expect_nothing_changed();

  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--cert", pfx, "--password", "s3cret", "--json"});
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["verified_by"], new_cert_.sha256());
  std::string cainfo = read_file(home_.etc("cainfo.pem"));
  EXPECT_EQ(cainfo.find("PRIVATE KEY"), std::string::npos);
  auto now_trusted = trust::read_certificates(cainfo).certs;
  ASSERT_EQ(now_trusted.size(), 1u);
  EXPECT_EQ(trust::to_hex(now_trusted[0].sha256), new_cert_.sha256());
}

TEST_F(Move, AnUnreadableCertificateFileChangesNothing) {
  auto args = move_to(*new_server_);
  args.insert(args.end(), {"--cert", home_.path() + "/in/none.pem"});
  auto r = run(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(home_.path() + "/in/none.pem"), std::string::npos) << r.err;
  expect_nothing_changed();
}

}  // namespace

namespace {

// The install-time step (issue 16, item 7): on a fresh home, `move` to the server with the
// fingerprint its owner gave is the legacy installer's certificate download, checked: the
// certificate is stored and the server written to the config only once it authenticated.
TEST(FirstInstall, MoveOnAFreshHomeTrustsTheServerByItsFingerprintAndNamesIt) {
  testing_support::TempHome home;
  Issued cert = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
  auto server = testing_support::serve_certificate(home, cert, "");
  ASSERT_GT(server->port(), 0);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home.path() + "/agent"});
    return testing_support::run_cli(args);
  };
  std::string port = std::to_string(server->port());
  Issued other = make_cert({.common_name = "other"});
  auto wrong =
      run({"move", "--address", "localhost", "--port", port, "--fingerprint", other.sha256()});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_FALSE(testing_support::file_exists(home.path() + "/agent/etc/trustagent.conf"));
  auto installed =
      run({"move", "--address", "localhost", "--port", port, "--fingerprint", cert.sha256()});
  ASSERT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_EQ(read_file(home.path() + "/agent/etc/trustagent.conf"),
            "server = localhost:" + port + "\n");
  EXPECT_EQ(run({"connect"}).exit_code, 0);
}

}  // namespace
