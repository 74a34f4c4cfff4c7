// What an endpoint tells its central server about itself with every request, so that before a
// certificate switch an administrator can count who is ready (`trustagent readiness`):
//
//   User-Agent: trustagent/0.3.0 (endpoint=<32 hex>; policies=<guid>@<revision>,…;
//               reserves=<first 16 hex of sha256>,…)
//
// The endpoint id is random, made once and kept in <home>/var/state/endpoint-id; it identifies
// nothing but this agent home. Lists are capped (kMaxListed policies, kMaxListed reserves, then
// "+N") and hold only hex, GUID characters, '@' and ',', which no access-log format escapes.
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"
#include "trust/layout.h"
#include "trust/reserve_state.h"

namespace agent {

inline constexpr size_t kMaxListed = 16;

// The stored id, or a new one (stored atomically; if it cannot be stored, a fresh id is used for
// this run and the next run tries again).
std::string endpoint_id(const trust::Layout& layout);

std::string user_agent(const std::string& endpoint, const std::vector<policy::Policy>& policies,
                       const std::vector<trust::Reserve>& reserves);

}  // namespace agent
