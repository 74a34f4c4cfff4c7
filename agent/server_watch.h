// The leaf certificates of the servers the agent depends on, as last authenticated: the central
// server (recorded by every policy refresh) and the configured server (recorded by `connect`
// without a URL). A CA-issued leaf is never an anchor, so without this record nobody would see it
// coming up to expiry until connections started failing.
//
// <home>/var/state/servers.state holds one line per role: role, host:port, sha256, notAfter (unix
// seconds), subject. It is rewritten atomically, and only when what a server presents changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/anchor_warnings.h"
#include "trust/certificate.h"
#include "trust/layout.h"
#include "trust/result.h"

namespace agent {

inline constexpr const char* kCentralServerRole = "central";
inline constexpr const char* kConfiguredServerRole = "server";

struct SeenLeaf {
  std::string role;    // kCentralServerRole or kConfiguredServerRole
  std::string server;  // host:port
  std::string sha256, subject;
  int64_t not_after = 0;
};

// Missing or damaged lines read as nothing seen: the record only ever adds warnings.
std::vector<SeenLeaf> load_seen_leaves(const trust::Layout& layout);

trust::Result<void> record_seen_leaf(const trust::Layout& layout, const std::string& role,
                                     const std::string& server, const trust::CertInfo& leaf);

// expires_soon_no_reserve for a seen leaf that is not itself an anchor (anchors have their own
// warnings), expires within 30 days (or has expired), and has no later anchor of the same subject.
std::vector<trust::AnchorWarning> seen_leaf_warnings(const std::vector<SeenLeaf>& seen,
                                                     const std::vector<trust::Anchor>& anchors,
                                                     int64_t now);

}  // namespace agent
