// Before `policy publish` writes an index: a policy whose SSLNSPublicHttpsCertFingerprint pins
// none of the certificates its own server presents would lock every endpoint out of that server,
// and endpoints refuse a policy whose pins the central server it came from fails (agent/refresh.h).
// So each pinned policy is checked against the live central server (the publisher's --server or
// configured server) and the server it names (<Server Address Port>), with one TLS handshake each
// that trusts nothing and only reads what the server presents.
#pragma once

#include <string>
#include <vector>

#include "agent/log.h"
#include "policy/policy.h"
#include "trust/layout.h"

namespace agent {

struct PinCheck {
  std::string guid, server;
  enum class Outcome { kMatches, kLocksOut, kUnreachable, kNoServer } outcome = Outcome::kNoServer;
  std::string message;  // one line, for the publisher
};

// One entry per pinned policy and server checked. `central_server`: host[:port] of the central
// server ("" when unknown); a pinned policy with neither it nor a <Server> is kNoServer.
std::vector<PinCheck> check_policy_pins(const std::vector<policy::Policy>& policies,
                                        const std::string& central_server,
                                        const trust::Layout& layout, double timeout_seconds);

// Whether these checks let the index be written: a policy whose pins would lock its endpoints out,
// or could not be checked, blocks it unless `force`. Each check is logged: a note when it passed,
// an alarm when forced through, an error when it blocks.
bool publishing_allowed(const std::vector<PinCheck>& checks, bool force, const Log& log);

}  // namespace agent
