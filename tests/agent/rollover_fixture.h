// The rollover tests' common ground: an agent home, a server certificate C that expires in 20
// days and its reserve CR for the same name, real TLS servers presenting either, and the CLI run
// at the real time or with the wall clock moved.
#pragma once

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;

std::string in_days(long days) { return trust::to_iso8601(std::time(nullptr) + days * 86400); }

class Rollover : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return testing_support::run_cli(args);
  }
  // With the wall clock moved by `offset` ("+8d"). Unless `same_boot`, as if the machine had
  // rebooted since the last command, so the clock moving forward is time passing, not a jump.
  testing_support::CliResult run_at(const std::string& offset, std::vector<std::string> args,
                                    bool same_boot = false) {
    if (!same_boot) forget_boot();
    args.insert(args.end(), {"--home", home_.path()});
    return testing_support::run_cli(args, {}, testing_support::wall_clock_moved(offset));
  }
  void forget_boot() {
    std::filesystem::remove(home_.path() + "/var/state/clock.state");  // this boot's reference
    std::string path = home_.path() + "/var/state/reserves.state";
    if (!testing_support::file_exists(path)) return;
    std::string text = read_file(path);
    size_t clock = text.find("\nclock\t");
    ASSERT_NE(clock, std::string::npos) << text;
    size_t end = text.find('\n', clock + 1);
    home_.write("var/state/reserves.state", text.substr(0, clock) + text.substr(end));
  }
  std::set<std::string> status_codes(const std::string& offset = "") {
    auto r =
        offset.empty() ? run({"status", "--json"}) : run_at(offset, {"status", "--json"}, true);
    std::set<std::string> out;
    json doc = json::parse(r.out);
    for (const auto& w : doc["warnings"]) out.insert(w["code"].get<std::string>());
    return out;
  }
  std::unique_ptr<testing_support::TlsServer> serve(const Issued& leaf,
                                                    const std::string& chain = "") {
    auto server = testing_support::serve_certificate(home_, leaf, chain);
    EXPECT_GT(server->port(), 0);
    return server;
  }
  std::vector<std::string> anchors_in(const std::string& file) {
    std::vector<std::string> out;
    if (!testing_support::file_exists(home_.etc(file))) return out;
    for (const auto& c : trust::read_certificates(read_file(home_.etc(file))).certs) {
      out.push_back(trust::to_hex(c.sha256));
    }
    return out;
  }
  // The agent's own server (the policy pin is for it alone), switching certificates.
  json connect_json(const testing_support::TlsServer& s) {
    auto r = run({"connect", "--server", s.address(), "--json"});
    return json::parse(r.out);
  }
  void pin_policy(const std::string& pin) {
    home_.write("var/policies/pin.xml",
                "<Policy guid=\"pin-1\"><CurlSSL SSLNSPublicHttpsCertFingerprint=\"" + pin +
                    "\"/></Policy>");
  }

  testing_support::TempHome home_;
  // The server's certificate C, expiring soon, and its reserve CR, for the same name.
  Issued current_ =
      make_cert({.common_name = "localhost", .not_after_days = 20, .dns_names = {"localhost"}});
  Issued reserve_ =
      make_cert({.common_name = "localhost", .not_after_days = 390, .dns_names = {"localhost"}});
};

}  // namespace
