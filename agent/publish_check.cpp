#include "agent/publish_check.h"

#include "agent/connector.h"
#include "agent/refresh.h"

namespace agent {

std::vector<PinCheck> check_policy_pins(const std::vector<policy::Policy>& policies,
                                        const std::string& fallback_server,
                                        const trust::Layout& layout, double timeout_seconds) {
  std::vector<PinCheck> out;
  for (const auto& p : policies) {
    if (p.pins.empty()) continue;
    PinCheck check;
    check.guid = p.guid;
    check.server = fallback_server;
    if (p.server_address) {
      check.server = *p.server_address + ":" + std::to_string(p.server_port.value_or(443));
    }
    if (check.server.empty()) {
      check.message = "policy " + p.guid +
                      ": its pins were not checked: it names no <Server> and no --server was "
                      "given";
      out.push_back(std::move(check));
      continue;
    }
    ConnectRequest request;
    request.target = check.server;
    request.layout = layout;
    request.handshake_only = true;  // read what the server presents; trust nothing
    request.timeout_seconds = timeout_seconds;
    auto presented = connect(request);
    if (!presented || presented->chain.empty()) {
      check.outcome = PinCheck::Outcome::kUnreachable;
      check.message = "policy " + p.guid + ": its pins could not be checked against " +
                      check.server + ": " +
                      (presented ? presented->message : presented.error().message);
    } else if (pins_admit_central_server(p, presented->chain)) {
      check.outcome = PinCheck::Outcome::kMatches;
      check.message = "policy " + p.guid + ": a pin matches the certificate " + check.server +
                      " presents (sha256 " + presented->chain.front().info.sha256 + ")";
    } else {
      check.outcome = PinCheck::Outcome::kLocksOut;
      check.message = "policy " + p.guid +
                      ": its SSLNSPublicHttpsCertFingerprint pins none of "
                      "the certificates " +
                      check.server + " presents (sha256 " + presented->chain.front().info.sha256 +
                      "): every endpoint would refuse its own server";
    }
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace agent
