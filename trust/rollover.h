// Rollover without an outage (DESIGN.md section 8). A reserve certificate arrives before the server
// switches to it and is an anchor from that moment (it lives in cainfo-reserve.pem, which the merge
// reads like any agent-managed source); its activation time says when it becomes the current one.
//
//  - A reserve "replaces" the certificates in cainfo.pem and cainfo-ss.pem for the same server
//    (same subject, or a shared DNS/IP name) that expire before it does. Without an explicit
//    activation time it activates when the last of those expires (at once if it replaces none).
//  - A pin follows the rollover: a reserve that replaces a pinned certificate is accepted next to
//    the pin until it activates; after that the replaced certificate's pins are no longer accepted.
//  - Maintenance, run by every command under the writer lock before the merge: reserves published
//    by policy are added (and withdrawn again while still pending if the policy stops publishing
//    them); certificates put in cainfo-reserve.pem by hand are adopted; and an expired certificate
//    in the agent-managed sources is removed once a later, valid one for the same server is there.
//    Admin-owned CA files are never touched. When no input changed and no date was reached it
//    costs a few stats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/layout.h"
#include "trust/pin.h"
#include "trust/reserve_state.h"
#include "trust/result.h"

namespace trust {

struct ReserveOffer {  // a reserve published by a policy
  std::string der;
  std::optional<int64_t> activate_at;
  std::string origin;  // the policy's guid
};

struct ReserveAdded {
  std::vector<CertInfo> added, already_present;
  std::vector<Reserve> reserves;  // the records of every certificate offered
};

// Fails with kBadInput for something that is already a current anchor in cainfo.pem or
// cainfo-ss.pem, or that is not a certificate. `activate_at` replaces an earlier one.
Result<ReserveAdded> add_reserves(const Layout& layout, const std::vector<std::string>& ders,
                                  std::optional<int64_t> activate_at, const std::string& origin,
                                  int64_t now);

// Takes the reserve out of cainfo-reserve.pem and forgets it. kBadInput when there is no such one.
Result<CertInfo> remove_reserve(const Layout& layout, const Fingerprint& fingerprint);

struct RolloverReport {
  bool ran = false;                // false: nothing had changed, state reused as it was
  std::vector<Reserve> reserves;   // as now recorded
  std::vector<std::string> notes;  // one line per change, for the log
};

// `policies_complete`: false when some stored policy could not be read this time. Then no reserve
// is withdrawn, since a damaged file is not a decision to withdraw what it published.
Result<RolloverReport> maintain_rollover(const Layout& layout,
                                         const std::vector<ReserveOffer>& from_policy, int64_t now,
                                         bool policies_complete = true);

std::vector<Pin> pins_following_rollover(const std::vector<Pin>& pins,
                                         const std::vector<Reserve>& reserves, int64_t now);

// "reserve" while a recorded reserve is pending, "current" otherwise.
std::string role_of(const std::string& sha256, const std::vector<Reserve>& reserves, int64_t now);

}  // namespace trust
