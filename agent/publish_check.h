// Before `policy publish` writes an index: a policy whose SSLNSPublicHttpsCertFingerprint pins
// none of the certificates its own server presents would lock every endpoint out of that server,
// and the endpoints refuse such a policy from a central server anyway (agent/refresh.h). So each
// pinned policy is checked against the live server it names (<Server Address Port>, else the
// publisher's --server), with one TLS handshake that trusts nothing and only reads what the
// server presents.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"
#include "trust/layout.h"

namespace agent {

struct PinCheck {
  std::string guid, server;
  enum class Outcome { kMatches, kLocksOut, kUnreachable, kNoServer } outcome = Outcome::kNoServer;
  std::string message;  // one line, for the publisher
};

// One entry per policy in `policies` that has pins. `fallback_server`: host[:port] for policies
// that name no server ("" for none: such a policy is kNoServer).
std::vector<PinCheck> check_policy_pins(const std::vector<policy::Policy>& policies,
                                        const std::string& fallback_server,
                                        const trust::Layout& layout, double timeout_seconds);

}  // namespace agent
