// Policy refresh from the central server, applied in the same refresh (the legacy agent needed
// two).
//
//  1. Bring the store up to date, so the central server is authenticated against it (through the
//     connector, with the pins and verify settings of the policy in force).
//  2. GET <base>/policies/index.xml, conditionally (If-None-Match / If-Modified-Since): a quiet
//     fleet costs one small 304 per agent per interval, and then nothing is written. A `full`
//     refresh sends no validators: a server whose validators are too coarse (nginx's ETag is the
//     mtime in whole seconds plus the size) cannot hide a same-second, same-size republish from it.
//  3. Download only policies whose sha256 differs from the stored copy; check the hash, parse the
//     policy, check its guid and that its revision does not go backwards. A policy failing any
//     check is refused with a message and its previous copy stays in force. A policy removed on
//     this endpoint (`policy remove`) is held back until a higher revision is published.
//  4. Under the writer lock: write the accepted policies atomically, remove stored policies the
//     index no longer lists, remember the validators, and merge with the new policies.
#pragma once

#include <string>
#include <vector>

#include "agent/connector.h"
#include "agent/store_sync.h"
#include "policy/policy.h"
#include "trust/result.h"

namespace agent {

struct RefreshRequest {
  StoreRequest store;
  std::string server;  // base URL or host[:port]; empty: the policy's <Server>
  double timeout_seconds = 30;
  bool full = false;  // fetch the index whatever the stored validators say
};

struct RefreshReport {
  std::string index_url;
  bool not_modified = false;                               // the index answered 304
  int downloads = 0;                                       // HTTP requests made, the index included
  std::vector<std::string> installed, removed, unchanged;  // guids
  std::vector<trust::Error> refused;                       // policies not applied, and why
  std::vector<std::string> held_back;  // policies removed on this endpoint (agent/policy_removal.h)
  std::string unverified_by;           // guid of a policy that turned SSLVerifyPeer off, if one did
  StoreOutcome applied;
};

// True when `p` has no pins, or one of them matches the leaf of `chain` (what a server presented).
bool pins_admit_central_server(const policy::Policy& p, const std::vector<PresentedCert>& chain);

// Errors: no server configured (kBadInput), the central server unreachable (kNetwork) or not
// authenticated (kRefused), a malformed index (kBadInput). In every error case nothing changed.
trust::Result<RefreshReport> refresh_policies(const RefreshRequest& request);

}  // namespace agent
