// What should worry an operator about the anchors in the store, each warning with a stable code
// that scripts and monitoring can match:
//
//   anchor_expired               an anchor's notAfter has passed
//   expires_soon_no_reserve      a current server certificate (cainfo.pem, cainfo-ss.pem, or an
//                                activated reserve) expires within 30 days, and no reserve or
//                                later certificate for it is known
//   reserve_activation_too_soon  a pending reserve arrived less than one refresh interval plus
//                                jitter before its activation, so endpoints that refresh on
//                                schedule may not have it in time (judged from when it arrived
//                                here: a reserve that arrived early never raises it)
//   validity_over_397_days       a server certificate (not a CA) was issued for longer than 397
//                                days
//   partial_chain_anchor         an agent-managed anchor that is not a root and whose issuer is
//                                not in the store: only partial-chain clients (curl, trustagent)
//                                accept servers through it
//   system_anchor_expired        (information) an expired anchor that only the system bundle
//                                holds: the administrator cannot remove it, and it authenticates
//                                nothing
//   weak_key                     RSA or DSA below 2048 bits, EC below 256
//   sha1_signature               signed with SHA-1, where the signature matters (not the
//                                self-signature of an admin's root)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/merge.h"
#include "trust/reserve_state.h"
#include "trust/thresholds.h"

namespace trust {

struct AnchorWarning {
  std::string code;
  std::string sha256;  // the anchor (or reserve) it is about
  std::string message;
  bool information = false;  // reported, but nothing to act on: does not make `status` exit 1
};

struct WarningContext {
  const std::vector<Reserve>& reserves;
  int64_t refresh_interval_seconds = 0;
  int64_t refresh_jitter_seconds = 0;
  std::vector<std::string> system_sources;  // display names of the system bundle, if merged
  int64_t now = 0;
};

std::vector<AnchorWarning> anchor_warnings(const std::vector<Anchor>& anchors,
                                           const WarningContext& context);

// True for an anchor that came from cainfo.pem, cainfo-ss.pem or cainfo-reserve.pem.
bool is_agent_managed(const Anchor& anchor);

}  // namespace trust
