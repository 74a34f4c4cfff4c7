// connect and fetch as a user runs them, against real servers: JSON, exit codes, the prompt on a
// real pseudo-terminal, and that nothing is written whenever nothing was trusted.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
using testing_support::run_cli;

class FetchConnect : public ::testing::Test {
 protected:
  void SetUp() override {
    home_.write("etc/cainfo.pem", unrelated_.pem());
    ASSERT_EQ(run({"merge"}).exit_code, 0);
  }
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  std::unique_ptr<testing_support::TlsServer> serve(const Issued& leaf,
                                                    const std::string& chain = "") {
    auto server = testing_support::serve_certificate(home_, leaf, chain);
    EXPECT_GT(server->port(), 0);
    return server;
  }
  std::map<std::string, std::string> etc() {
    return testing_support::snapshot(home_.path() + "/etc");
  }
  size_t anchors_in(const std::string& file) {
    return trust::read_certificates(read_file(home_.etc(file))).certs.size();
  }

  // Runs trustagent on a pseudo-terminal, answering `answer` at the prompt.
  int run_on_terminal(const std::vector<std::string>& args, const std::string& answer,
                      std::string* screen) {
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid == 0) {
      std::vector<char*> argv;
      std::string bin = testing_support::trustagent_binary();
      argv.push_back(bin.data());
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    bool answered = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // the child closed the terminal
      screen->append(buf, static_cast<size_t>(n));
      if (!answered && screen->find("Trust this certificate? [y/N]") != std::string::npos) {
        std::string line = answer + "\n";
        (void)::write(master, line.data(), line.size());
        answered = true;
      }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(master);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  testing_support::TempHome home_;
  Issued unrelated_ = make_cert({.common_name = "Unrelated", .is_ca = true});
  Issued self_ = make_cert({.common_name = "localhost", .dns_names = {"localhost"}});
};

TEST_F(FetchConnect, ConnectJsonOnSuccessAndOnFailure) {
  auto srv = serve(self_);
  auto bad = run({"connect", srv->address(), "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  json f = json::parse(bad.out);
  EXPECT_EQ(f["ok"], false);
  EXPECT_EQ(f["error"]["code"], "untrusted");
  EXPECT_EQ(f["chain"][0]["sha256"], self_.sha256());
  EXPECT_NE(bad.err.find("no anchor in the store for issuer"), std::string::npos);

  home_.write("etc/cainfo-ss.pem", self_.pem());
  auto good = run({"connect", "https://" + srv->address() + "/", "--json"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  json j = json::parse(good.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["http_status"], 200);
  EXPECT_EQ(j["anchor"]["index"], 2);
  EXPECT_EQ(j["anchor"]["sha256"], self_.sha256());
  EXPECT_EQ(j["anchor"]["subject"], "CN=localhost,O=trustagent tests");
  EXPECT_EQ(j["chain"][0]["not_after"].get<std::string>().back(), 'Z');
}

// `curl --cacert FILE URL` habits: the URL after --ca-file FILE is the URL, not a second CA file.
TEST_F(FetchConnect, CaFileTakesOneValueAndTheUrlAfterItIsTheUrl) {
  auto srv = serve(self_);
  std::string ca = home_.write("corp/self.pem", self_.pem());
  auto r = run({"connect", "--ca-file", ca, "https://" + srv->address() + "/", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["anchor"]["sha256"], self_.sha256());
  // Repeated, each takes its own value.
  auto twice = run({"list", "--ca-file", ca, "--ca-file", ca, "--json"});
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
}

TEST_F(FetchConnect, ConnectUsesTheConfiguredServerAndWarnsWithoutVerification) {
  auto srv = serve(self_);
  home_.write("etc/trustagent.conf", "server = " + srv->address() + "\n");
  auto r = run({"connect", "--no-verify-peer"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("WARNING: peer verification is OFF (--no-verify-peer)"), std::string::npos);
  EXPECT_NE(r.out.find("NOT authenticated"), std::string::npos);
}

TEST_F(FetchConnect, ConnectFollowsThePolicyAndFlagsOverrideItWithANote) {
  auto srv = serve(self_);
  home_.write("etc/cainfo-ss.pem", self_.pem());
  home_.write("var/policies/pin.xml",
              "<Policy guid=\"pin-1\" priority=\"1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" +
                  std::string(64, 'c') + ";" + std::string(40, 'd') + "\"/></Policy>");
  // The pin is for the agent's own server: a connection to it without a URL.
  auto pinned = run({"connect", "--server", srv->address(), "--json"});
  EXPECT_EQ(pinned.exit_code, 1);
  EXPECT_EQ(json::parse(pinned.out)["error"]["code"], "pin_mismatch");
  auto overridden = run({"connect", "--server", srv->address(), "--pin", self_.sha256()});
  EXPECT_EQ(overridden.exit_code, 0) << overridden.err;
  EXPECT_NE(overridden.err.find("note: --pin overrides policy pin-1"), std::string::npos);

  home_.write("var/policies/pin.xml",
              "<Policy guid=\"lax-2\"><CurlSSL SSLVerifyPeer=\"no\"/></Policy>");
  home_.write("etc/cainfo-ss.pem", unrelated_.pem());
  auto lax = run({"connect", srv->address()});
  EXPECT_EQ(lax.exit_code, 0) << lax.err;
  EXPECT_NE(lax.err.find("WARNING: peer verification is OFF (policy lax-2)"), std::string::npos);
}

TEST_F(FetchConnect, ConnectToAClosedPortExitsThree) {
  auto r = run({"connect", "127.0.0.1:1", "--json", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(json::parse(r.out)["error"]["code"], "network");
  EXPECT_NE(r.err.find("127.0.0.1:1: cannot connect"), std::string::npos) << r.err;
}

TEST_F(FetchConnect, FetchWithoutTerminalOrFingerprintTrustsNothing) {
  auto srv = serve(self_);
  auto before = etc();
  auto r = run({"fetch", srv->address()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no terminal to ask: pass --fingerprint " + self_.sha256()),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find(self_.sha256()), std::string::npos);  // the chain is shown
  EXPECT_EQ(etc(), before);
}

TEST_F(FetchConnect, FetchWithTheRightFingerprintStoresAndConnectThenWorks) {
  auto srv = serve(self_);
  std::string colons;
  for (size_t i = 0; i < 64; i += 2) colons += (i ? ":" : "") + self_.sha256().substr(i, 2);
  auto r = run({"fetch", srv->address(), "--fingerprint", colons, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["stored"], true);
  EXPECT_EQ(j["file"], home_.etc("cainfo.pem"));
  EXPECT_EQ(j["sha256"], self_.sha256());
  EXPECT_EQ(anchors_in("cainfo.pem"), 2u);
  EXPECT_EQ(run({"connect", srv->address()}).exit_code, 0);
  // Again: already there, nothing added twice.
  json again =
      json::parse(run({"fetch", srv->address(), "--fingerprint", self_.sha256(), "--json"}).out);
  EXPECT_EQ(again["stored"], false);
  EXPECT_EQ(anchors_in("cainfo.pem"), 2u);
}

// The first install (issue 16, item 7): the configured server is where fetch goes without a
// HOST, and a refused connect names the fetch command that would trust it after a check.
TEST_F(FetchConnect, FirstInstallFetchesTheConfiguredServerAndConnectSaysHow) {
  auto srv = serve(self_);
  auto none = run({"fetch", "--fingerprint", self_.sha256()});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("fetch needs HOST"), std::string::npos) << none.err;
  home_.write("etc/trustagent.conf", "server = " + srv->address() + "\n");
  auto refused = run({"connect"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(
      refused.err.find("trustagent fetch " + srv->address() + " --fingerprint " + self_.sha256()),
      std::string::npos)
      << refused.err;
  // The command comes before anything the server says about itself.
  EXPECT_LT(refused.err.find("trustagent fetch"), refused.err.find("subject \""));
  auto fetched = run({"fetch", "--fingerprint", self_.sha256()});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_EQ(run({"connect"}).exit_code, 0);
  // A trusted certificate under the wrong name is not fixed by trusting it: no such advice.
  auto mismatch = run({"connect", "127.0.0.2:" + std::to_string(srv->port())});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_EQ(mismatch.err.find("trustagent fetch"), std::string::npos) << mismatch.err;
}

TEST_F(FetchConnect, FetchWithAWrongFingerprintShowsBothAndWritesNothing) {
  auto srv = serve(self_);
  auto before = etc();
  auto r = run({"fetch", srv->address(), "--fingerprint", std::string(64, 'b')});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expected " + std::string(64, 'b')), std::string::npos);
  EXPECT_NE(r.err.find("has sha256 " + self_.sha256()), std::string::npos);
  EXPECT_EQ(etc(), before);
}

// The pins connect applies decide for fetch too: a leaf the policy pins is stored without another
// fingerprint; a leaf it does not pin is never taken on first use (a man in the middle looks so).
TEST_F(FetchConnect, FetchFollowsThePolicyPin) {
  auto srv = serve(self_);
  auto pin_policy = [&](const std::string& pin) {
    home_.write("var/policies/pin.xml",
                "<Policy guid=\"pin-1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + pin +
                    "\"/></Policy>");
  };
  pin_policy(std::string(64, 'c'));
  auto before = etc();
  auto tofu =
      run({"fetch", srv->address(), "--server", srv->address(), "--trust-on-first-use", "--json"});
  EXPECT_EQ(tofu.exit_code, 1);
  EXPECT_NE(tofu.err.find("matches no pin of policy pin-1 (sha256:" + std::string(64, 'c') + ")"),
            std::string::npos)
      << tofu.err;
  EXPECT_NE(tofu.err.find("trust on first use refused: policy pin-1 pins another certificate"),
            std::string::npos)
      << tofu.err;
  EXPECT_EQ(json::parse(tofu.out)["policy_pin"], "mismatch");
  EXPECT_EQ(etc(), before);

  // A pin on the leaf's public key matches with no terminal and no --fingerprint.
  pin_policy(self_.spki_pin());
  auto matched = run({"fetch", srv->address(), "--server", srv->address(), "--json"});
  ASSERT_EQ(matched.exit_code, 0) << matched.err;
  EXPECT_NE(matched.err.find("matches the pin of policy pin-1"), std::string::npos);
  json j = json::parse(matched.out);
  EXPECT_EQ(j["policy_pin"], "matches");
  EXPECT_EQ(j["stored"], true);
  EXPECT_EQ(anchors_in("cainfo.pem"), 2u);
  EXPECT_EQ(run({"connect", srv->address()}).exit_code, 0);

  // An explicit fingerprint is the user's word against the policy's: stored, with the warning.
  pin_policy(std::string(64, 'c'));
  auto explicit_fp = run({"fetch", srv->address(), "--server", srv->address(), "--fingerprint",
                          self_.sha256(), "--site"});
  EXPECT_EQ(explicit_fp.exit_code, 0) << explicit_fp.err;
  EXPECT_NE(explicit_fp.err.find("connect will refuse it with pin_mismatch"), std::string::npos);
  EXPECT_EQ(anchors_in("cainfo-ss.pem"), 1u);
}

TEST_F(FetchConnect, TrustOnFirstUseIsExplicitAndWarned) {
  auto srv = serve(self_);
  auto r = run({"fetch", srv->address(), "--trust-on-first-use", "--site"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("WARNING: trusting on first use"), std::string::npos);
  EXPECT_EQ(anchors_in("cainfo-ss.pem"), 1u);
}

TEST_F(FetchConnect, CaIssuedServerDefaultsToTheLastCertificateSent) {
  Issued root = make_cert({.common_name = "Fetch Root", .is_ca = true});
  Issued mid = make_cert({.common_name = "Fetch Intermediate", .is_ca = true}, &root);
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &mid);
  auto srv = serve(leaf, mid.pem());
  auto r = run({"fetch", srv->address(), "--fingerprint", mid.sha256(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["chain"].size(), 2u);
  EXPECT_EQ(json::parse(r.out)["sha256"], mid.sha256());
  auto pick_leaf = run({"fetch", srv->address(), "--pick", "leaf", "--fingerprint", leaf.sha256()});
  EXPECT_EQ(pick_leaf.exit_code, 0) << pick_leaf.err;
  auto bad_pick = run({"fetch", srv->address(), "--pick", "7", "--trust-on-first-use"});
  EXPECT_EQ(bad_pick.exit_code, 2);
  EXPECT_NE(bad_pick.err.find("expected leaf, root or a number from 1 to 2"), std::string::npos);
}

TEST_F(FetchConnect, OnATerminalItAsksAndNoMeansNothingWritten) {
  auto srv = serve(self_);
  auto before = etc();
  std::string screen;
  int no = run_on_terminal({"fetch", srv->address(), "--home", home_.path()}, "n", &screen);
  EXPECT_EQ(no, 1) << screen;
  EXPECT_NE(screen.find("sha256 " + self_.sha256()), std::string::npos);
  EXPECT_EQ(etc(), before);

  screen.clear();
  int yes = run_on_terminal({"fetch", srv->address(), "--home", home_.path()}, "y", &screen);
  EXPECT_EQ(yes, 0) << screen;
  EXPECT_EQ(anchors_in("cainfo.pem"), 2u);
}

TEST_F(FetchConnect, FetchFromAClosedPortExitsThreeAndWritesNothing) {
  auto before = etc();
  auto r = run({"fetch", "127.0.0.1:1", "--trust-on-first-use", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  EXPECT_EQ(etc(), before);
}

// Issue 13, item 9: fetch stores the root when the server sends it; an anchor only partial-chain
// clients accept is stored with a warning that says how to fix it, and status reports it.
TEST_F(FetchConnect, FetchStoresTheRootWhenSentAndWarnsAboutAnAnchorOnlySomeClientsAccept) {
  Issued root = make_cert({.common_name = "Fetch Root", .is_ca = true});
  Issued inter = make_cert({.common_name = "Fetch Intermediate", .is_ca = true}, &root);
  Issued leaf = make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &inter);

  auto with_root = serve(leaf, inter.pem() + root.pem());
  auto full = run({"fetch", with_root->address(), "--fingerprint", root.sha256(), "--json"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(json::parse(full.out)["sha256"], root.sha256());
  EXPECT_EQ(full.err.find("not a root"), std::string::npos) << full.err;

  testing_support::TempHome other;
  auto without_root = serve(leaf, inter.pem());
  auto partial = run_cli({"fetch", without_root->address(), "--fingerprint", inter.sha256(),
                          "--json", "--home", other.path()});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  json p = json::parse(partial.out);
  EXPECT_EQ(p["sha256"], inter.sha256());
  EXPECT_EQ(p["partial_chain_only"], true);
  EXPECT_NE(partial.err.find("openssl verify, Python and Node do not"), std::string::npos)
      << partial.err;
  auto status = run_cli({"status", "--json", "--home", other.path()});
  EXPECT_EQ(status.exit_code, 1);
  json st = json::parse(status.out);
  bool reported = false;
  for (const auto& w : st["warnings"]) {
    reported = reported || (w["code"] == "partial_chain_anchor" && w["sha256"] == inter.sha256());
  }
  EXPECT_TRUE(reported) << st["warnings"].dump();
}

}  // namespace
