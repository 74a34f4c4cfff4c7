#include "agent/publish_check.h"

#include <algorithm>

#include "agent/connector.h"
#include "agent/refresh.h"

namespace agent {

namespace {

PinCheck check_against(const policy::Policy& p, const std::string& server,
                       const trust::Layout& layout, double timeout_seconds) {
  PinCheck check;
  check.guid = p.guid;
  check.server = server;
  ConnectRequest request;
  request.target = server;
  request.layout = layout;
  request.handshake_only = true;  // read what the server presents; trust nothing
  request.timeout_seconds = timeout_seconds;
  auto presented = connect(request);
  if (!presented || presented->chain.empty()) {
    check.outcome = PinCheck::Outcome::kUnreachable;
    check.message = "policy " + p.guid + ": its pins could not be checked against " + server +
                    ": " +
                    (!presented           ? presented.error().message
                     : presented->failure ? presented->failure->message
                                          : "it presented no certificate");
  } else if (pins_admit_central_server(p, presented->chain)) {
    check.outcome = PinCheck::Outcome::kMatches;
    check.message = "policy " + p.guid + ": a pin matches the certificate " + server +
                    " presents (sha256 " + presented->chain.front().info.sha256 + ")";
  } else {
    check.outcome = PinCheck::Outcome::kLocksOut;
    check.message = "policy " + p.guid +
                    ": its SSLNSPublicHttpsCertFingerprint pins none of the certificates " +
                    server + " presents (sha256 " + presented->chain.front().info.sha256 +
                    "): endpoints would refuse it";
  }
  return check;
}

}  // namespace

std::vector<PinCheck> check_policy_pins(const std::vector<policy::Policy>& policies,
                                        const std::string& central_server,
                                        const trust::Layout& layout, double timeout_seconds) {
  std::vector<PinCheck> out;
  for (const auto& p : policies) {
    if (p.pins.empty()) continue;
    // Endpoints refuse a policy whose pins the central server it came from fails, and then
    // apply the pins to the policy's <Server>: both must pass.
    std::vector<std::string> servers;
    if (!central_server.empty()) servers.push_back(central_server);
    if (p.server_address) {
      const std::string& a = *p.server_address;
      bool v6 = a.find(':') != std::string::npos && a.front() != '[';
      std::string named =
          (v6 ? "[" + a + "]" : a) + ":" + std::to_string(p.server_port.value_or(443));
      if (std::find(servers.begin(), servers.end(), named) == servers.end()) {
        servers.push_back(named);
      }
    }
    if (servers.empty()) {
      PinCheck check;
      check.guid = p.guid;
      check.message = "policy " + p.guid +
                      ": its pins were not checked: it names no <Server> and no --server (the "
                      "central server) was given";
      out.push_back(std::move(check));
      continue;
    }
    for (const auto& server : servers) {
      out.push_back(check_against(p, server, layout, timeout_seconds));
    }
  }
  return out;
}

bool publishing_allowed(const std::vector<PinCheck>& checks, bool force, const Log& log) {
  bool blocked = false;
  for (const auto& check : checks) {
    bool bad = check.outcome == PinCheck::Outcome::kLocksOut ||
               check.outcome == PinCheck::Outcome::kUnreachable;
    blocked = blocked || bad;
    if (!bad) {
      log.notice(check.message);
    } else if (force) {
      log.alarm("--force: " + check.message);
    } else {
      log.error(check.message);
    }
  }
  return !blocked || force;
}

}  // namespace agent
