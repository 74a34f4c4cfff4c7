// Rollover without an outage (DESIGN.md section 8). A reserve certificate arrives before the server
// switches to it and is an anchor from that moment (it lives in cainfo-reserve.pem, which the merge
// reads like any agent-managed source); its activation time says when it becomes the current one.
// What the agent takes away follows what the server does, not the endpoint's clock alone:
//
//  - A reserve "replaces" the certificates in the agent-managed sources of the same server
//    identity (the same subject, or the same non-empty set of DNS/IP names) that expire before it
//    does, or exactly the certificates an explicit `replaces` fingerprint names. Without an
//    explicit activation time it activates when the last of those expires (at once if none).
//  - A pin follows the rollover: a reserve that replaces a pinned certificate is accepted next to
//    the pin from the moment it arrives. The replaced certificate's pins (not those the reserve
//    shares, such as the key's SPKI pin after a renewal) stop being accepted only once it has
//    retired or expired; activation time alone retires nothing.
//  - Retirement: a replaced server certificate (one with DNS/IP names) leaves the store for
//    <home>/var/retired.pem, where `trustagent add` can bring it back, once kRolloverGraceSeconds
//    have passed since both the reserve's first sighting in use and the old certificate's last,
//    and only while none of the agent's own servers was last seen presenting the old one.
//    A replaced CA is never retired on sightings (services the agent never connects to may use
//    it); it leaves when it has expired, as below.
//  - Pruning: an expired certificate leaves the store (for retired.pem, never deleted) only after
//    the grace period, and only when a later valid certificate of the same identity has been
//    seen in use.
//  - A wall-clock jump of more than a day since the last maintenance pauses retirement and
//    pruning for a day, or for as long as a forward jump was up to the grace period plus a day
//    (clock_pause_ends; sightings made after the jump soon put the record right).
//  - Maintenance runs under the writer lock before the merge; admin-owned CA files are never
//    edited. When no input changed and no date was reached it costs a few stats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trust/certificate.h"
#include "trust/clock.h"
#include "trust/fingerprint.h"
#include "trust/layout.h"
#include "trust/pin.h"
#include "trust/reserve_state.h"
#include "trust/result.h"

namespace trust {

class CertCache;

inline constexpr int64_t kRolloverGraceSeconds = 7 * 86400;
inline constexpr int64_t kMaxClockPauseSeconds = kRolloverGraceSeconds + 86400;

struct ReserveOffer {  // a reserve published by a policy
  std::string der;
  std::optional<int64_t> activate_at;
  std::string origin;                 // the policy's guid
  std::vector<Fingerprint> replaces;  // explicit; empty: by server identity
};

// A certificate a verified connection showed in use: the server's leaf, or the anchor that
// authenticated it, with when this endpoint first saw it so.
struct SeenInUse {
  std::string sha256;
  int64_t first_seen = 0;
  int64_t last_seen = 0;  // to within kLastSeenResolutionSeconds
  bool operator==(const SeenInUse&) const = default;
};
inline constexpr int64_t kLastSeenResolutionSeconds = 3600;

struct ReserveAdded {
  std::vector<CertInfo> added, already_present;
  std::vector<Reserve> reserves;  // the records of every certificate offered
};

// Fails with kBadInput for something that is already a current anchor in cainfo.pem or
// cainfo-ss.pem, that is not a certificate, or whose explicit `replaces` names no certificate in
// the agent-managed sources. `activate_at` replaces an earlier one.
Result<ReserveAdded> add_reserves(const Layout& layout, const std::vector<std::string>& ders,
                                  std::optional<int64_t> activate_at, const ReserveOrigin& origin,
                                  int64_t now, const std::vector<Fingerprint>& replaces = {});

// Takes the reserve out of cainfo-reserve.pem and forgets it. kBadInput when there is no such one.
Result<CertInfo> remove_reserve(const Layout& layout, const Fingerprint& fingerprint);

// A person brought certificates back into a managed source (`add` of var/retired.pem): those of
// `sha256s` that retired.pem holds leave it and are recorded in var/state/restored, and rollover
// never retires or prunes them again. Returns the ones restored.
Result<std::vector<std::string>> restore_retired(const Layout& layout,
                                                 const std::vector<std::string>& sha256s);
std::vector<std::string> load_restored(const Layout& layout);
// `remove` of a restored certificate: it is no longer held back from rollover (best effort).
void forget_restored(const Layout& layout, const std::string& sha256);

struct RolloverInputs {
  std::vector<ReserveOffer> offers;  // from the policies in force
  // false when some stored policy could not be read this time. Then no reserve is withdrawn,
  // since a damaged file is not a decision to withdraw what it published.
  bool policies_complete = true;
  std::vector<SeenInUse> seen;
  // What the agent's own servers (central, configured) presented at their latest verified
  // connection: never retired, whatever else was seen.
  std::vector<std::string> presented_by_own_servers;
};

struct RolloverReport {
  bool ran = false;                // false: nothing had changed, state reused as it was
  std::vector<Reserve> reserves;   // as now recorded
  std::vector<std::string> notes;  // one line per change, for the log
  ClockRecord clock;               // jump_at/jump_seconds say whether the clock was set lately
  bool paused = false;             // retirement and pruning held back by a clock jump
};

// `cache`, when given, is the run's one certificate cache: what maintenance decodes, the merge
// that follows does not decode again (otherwise it loads its own).
Result<RolloverReport> maintain_rollover(const Layout& layout, const RolloverInputs& inputs,
                                         const ClockReading& clock, CertCache* cache = nullptr);

// True once the certificates `r` replaces no longer count: they were retired, or they have all
// expired.
bool replaced_certificates_retire(const Reserve& r, int64_t now);

std::vector<Pin> pins_following_rollover(const std::vector<Pin>& pins,
                                         const std::vector<Reserve>& reserves, int64_t now);

// When retirement and pruning resume after the jump `clock` records.
int64_t clock_pause_ends(const ClockRecord& clock);

// "reserve" while a recorded reserve is pending, "current" otherwise.
std::string role_of(const std::string& sha256, const std::vector<Reserve>& reserves, int64_t now);

// The SHA-256 of each certificate a reserve replaces (from its certificate pins).
std::vector<std::string> replaced_sha256s(const Reserve& r);

}  // namespace trust
