// `trustagent policy remove GUID`: an administrator's way to undo a bad policy on one endpoint
// without editing files by hand. The stored policy goes, and its revision is remembered in
// <home>/var/state/held-back-policies, so that refreshes do not bring the same policy straight
// back: the central server's copy is held back until it publishes a higher revision (the
// corrected policy), which is then installed as usual and ends the hold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/index.h"
#include "trust/layout.h"
#include "trust/result.h"

namespace agent {

struct HeldBackPolicy {
  std::string guid;
  int64_t revision = 0;  // held back up to and including this revision
};

struct PolicyRemoved {
  HeldBackPolicy hold;
  // Reserves the policy published that no server was seen presenting go with it; the others may
  // be what the endpoint depends on now, and stay.
  std::vector<std::string> withdrawn_reserves, kept_reserves;
};

// The files remove_policy_locally edits, for StoreRequest::also_undo.
std::vector<std::string> files_policy_removal_edits(const trust::Layout& layout,
                                                    const std::string& guid);

// Missing or damaged lines read as nothing held back.
std::vector<HeldBackPolicy> load_held_back_policies(const trust::Layout& layout);

// The hold that keeps `entry` out, if any.
const HeldBackPolicy* hold_on(const std::vector<HeldBackPolicy>& holds,
                              const policy::IndexEntry& entry);

// Removes var/policies/GUID.xml, holds its revision back, and withdraws the reserves it published
// that no server was seen presenting.
// kBadInput for a malformed GUID or a policy this endpoint does not hold.
trust::Result<PolicyRemoved> remove_policy_locally(const trust::Layout& layout,
                                                   const std::string& guid);

// Ends the hold on `guid` once `installed_revision` is above it. A hold at that revision or higher
// (a `policy remove` that ran while a refresh was downloading) stays, and false is returned: the
// policy must not be installed.
trust::Result<bool> release_hold(const trust::Layout& layout, const std::string& guid,
                                 int64_t installed_revision);

}  // namespace agent
