// Policy refresh from the central server, applied in the same refresh (the legacy agent needed
// two).
//
//  1. Bring the store up to date, so the central server is authenticated against it (through the
//     connector, with the pins and verify settings of the policy in force).
//  2. Ask each central server for <base>/policies/index.xml: the server, then its mirrors
//     (--mirror, 'mirror' in the config, the policy's <Mirror>s), in that order. Conditionally
//     (If-None-Match / If-Modified-Since) where that server's index was accepted last time, so a
//     quiet fleet costs one small 304 per server per interval. A `full` refresh sends no
//     validators: nginx's ETag (mtime in seconds plus size) cannot show a same-second,
//     same-size republish.
//       - Legacy mode (no policy signers, agent/policy_signers.h): the first server that answers
//         and is authenticated by the store wins; the others are only a fallback.
//       - Signed mode: every index must be signed (policy/signed_index.h); every server is asked
//         and the valid index with the highest serial wins, so a mirror serving a tampered or
//         stale index is refused and costs nothing. A server the store does not authenticate
//         (its certificate switched before the endpoint heard of it) is still asked for the
//         index, its signature and the policies, and for nothing else: the content is trusted
//         by signature alone, and the report, the log and `status` say so.
//       - Legacy mode: an answer from a fallback server whose index is older than what is in
//         force (a stored policy unlisted, or listed at a lower revision) is refused, and the
//         next server asked: a stale mirror never rolls policies back.
//       - A server reached with verification off (SSLVerifyPeer="no" in force) is not
//         authenticated: no 304 is taken from it and no validators are kept from it; in signed
//         mode it gets the content-only request (nothing that identifies the endpoint).
//  3. Download only policies whose sha256 differs from the stored copy, from the server whose
//     index was taken and then from every other server (the index's hash decides, so any copy
//     will do); parse the policy, check its guid and that its revision does not go backwards.
//     In legacy mode, a policy from a server that was not authenticated may not change anchors
//     (reserves, CA files, the system store, pins). A policy failing any check is refused with a
//     message, its previous copy stays in force, and it is `not_installed`: the refresh is then a
//     failure (agent/refresh_record.h) until it arrives. A policy removed on this endpoint
//     (`policy remove`) is held back until a higher revision is published.
//  4. Under the writer lock: write the accepted policies atomically, remove stored policies the
//     index no longer lists, remember the validators and the accepted index (and the signers it
//     introduces), and merge with the new policies.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/connector.h"
#include "agent/refresh_record.h"
#include "agent/store_sync.h"
#include "policy/policy.h"
#include "policy/signed_index.h"
#include "trust/result.h"

namespace agent {

struct RefreshRequest {
  StoreRequest store;
  std::string server;  // base URL or host[:port]; empty: the policy's <Server>
  double timeout_seconds = 30;
  bool full = false;                     // fetch the index whatever the stored validators say
  std::vector<std::string> mirrors;      // tried after the server, before the policy's <Mirror>s
  std::function<bool()> stop_requested;  // agent/connector.h; a stopped refresh is not recorded
};

struct RefreshReport {
  std::string index_url;
  bool not_modified = false;                               // the index answered 304
  int downloads = 0;                                       // HTTP requests made, the index included
  std::vector<std::string> installed, removed, unchanged;  // guids
  std::vector<trust::Error> refused;                       // policies not applied, and why
  std::vector<PendingPolicy> not_installed;  // the same, listed: non-empty makes it a failure
  std::vector<std::string> held_back;  // policies removed on this endpoint (agent/policy_removal.h)
  std::string unverified_by;           // guid of a policy that turned SSLVerifyPeer off, if one did
  StoreOutcome applied;
  // True when `applied` comes from a sync of this refresh (new policies, or new records); false
  // when it is the store as it was in force, the caller's own when it passed one.
  bool synced_again = false;
  std::vector<trust::Error> servers_refused;  // servers that were asked and not taken, and why
  // Signed mode: the index in force after this refresh, and where it came from.
  std::optional<policy::AcceptedIndex> signed_index;
  std::string from;  // the index URL whose answer was taken
  // Set when the content came over a connection the store did not authenticate: what the
  // server presented.
  std::string unauthenticated_sha256, unauthenticated_subject;
  bool signers_rotated = false;
};

// True when `p` has no pins, or one of them matches the leaf of `chain` (what a server presented).
bool pins_admit_central_server(const policy::Policy& p, const std::vector<PresentedCert>& chain);

// "" unless the index and policies came over a connection the store did not authenticate; then
// one loud line saying so, with the certificate that server presented and the signer.
std::string unauthenticated_transport_note(const RefreshReport& report);

// `in_force`: the store as the caller has just brought it up to date (sync_store) with nothing
// changed since, so step 1 is not done twice (the daemon's cycle); null: step 1 runs here.
// A report whose `not_installed` is not empty is returned (what was applied is in it) but is a
// failed refresh: the record says so and the CLI and the daemon exit non-zero.
// Errors: no server configured (kBadInput), the central server unreachable (kNetwork) or not
// authenticated (kRefused), a malformed index (kBadInput). In every error case nothing changed.
trust::Result<RefreshReport> refresh_policies(const RefreshRequest& request,
                                              const StoreOutcome* in_force = nullptr);

}  // namespace agent
