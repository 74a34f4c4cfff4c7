// What the servers the agent depends on were last seen presenting, from verified connections:
//
//  - The leaf of each of the agent's own servers, by role: the central server (recorded by every
//    policy refresh) and the configured server (recorded by `connect` without a URL). A CA-issued
//    leaf is never an anchor, so without this record nobody would see it coming up to expiry, or
//    still in use after its reserve's activation, until connections started failing.
//  - Every certificate a verified connection to any host showed in use (its leaf, and the anchor
//    that authenticated it), with when it was first seen so. Rollover retires a replaced
//    certificate only once its successor is in this list (trust/rollover.h): the server switching,
//    not the endpoint's clock, decides.
//
// <home>/var/state/servers.state holds one line per role ("role", host:port, sha256, notAfter,
// subject) and one per certificate in use ("in_use", sha256, first seen, last seen), the
// kMaxInUseRecords most recently seen. It is rewritten atomically, and only when something changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/anchor_warnings.h"
#include "trust/certificate.h"
#include "trust/layout.h"
#include "trust/reserve_state.h"
#include "trust/result.h"
#include "trust/rollover.h"

namespace agent {

// Which of the agent's own servers a connection was to; kNone for any other host. Written to the
// state file as "central" and "server".
enum class ServerRole { kNone, kCentral, kConfigured };
const char* role_name(ServerRole role);

inline constexpr size_t kMaxInUseRecords = 64;

struct SeenLeaf {
  ServerRole role = ServerRole::kNone;
  std::string server;  // host:port
  std::string sha256, subject;
  int64_t not_after = 0;
};

struct ServersSeen {
  std::vector<SeenLeaf> leaves;
  std::vector<trust::SeenInUse> in_use;
};

// Missing or damaged lines read as nothing seen: the record only ever adds warnings, and holds
// retirement back.
ServersSeen load_servers_seen(const trust::Layout& layout);
std::vector<SeenLeaf> load_seen_leaves(const trust::Layout& layout);

// After a verified connection. `role`: which of the agent's own servers this was. `anchor_sha256`:
// the anchor that authenticated it.
trust::Result<void> record_verified_connection(const trust::Layout& layout, ServerRole role,
                                               const std::string& server,
                                               const trust::CertInfo& leaf,
                                               const std::string& anchor_sha256, int64_t now);

// For the leaves of the agent's own servers:
//   expires_soon_no_reserve  a leaf that is not itself an anchor (anchors have their own
//                            warnings) expires within 30 days (or has expired), and no later
//                            anchor of the same subject is known
//   server_certificate_expired  the same, once it has expired: the server is refused now
//   server_not_switched      a leaf that a reserve replaces is still presented after the reserve's
//                            activation: once the reserve retires it, this endpoint refuses it
std::vector<trust::AnchorWarning> seen_leaf_warnings(const std::vector<SeenLeaf>& seen,
                                                     const std::vector<trust::Anchor>& anchors,
                                                     const std::vector<trust::Reserve>& reserves,
                                                     int64_t now);

}  // namespace agent
