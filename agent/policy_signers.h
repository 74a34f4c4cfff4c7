// Signed policy on the endpoint: who may sign the policy index (etc/policy-signers.pem) and what
// was last accepted (var/state/policy-index.state). policy/signed_index.h has the rules.
//
// Without a signers file the agent is in legacy mode: a policy is authorised by the TLS
// certificate of the central server it came from, as before signing existed. With one, every
// index must be signed by a signer in it. A signers file that is present but unreadable, damaged
// or empty is an error, never legacy mode: an attacker must not be able to downgrade an endpoint
// by breaking a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/signed_index.h"
#include "trust/anchor_warnings.h"
#include "trust/certificate.h"
#include "trust/layout.h"
#include "trust/result.h"

namespace agent {

// nullopt: legacy mode (no signers file).
trust::Result<std::optional<std::vector<trust::Certificate>>> load_policy_signers(
    const trust::Layout& layout);

// Adds the certificate in `file` whose SHA-256 fingerprint is `fingerprint` (what a person read
// from the publisher out of band). Refuses a file holding a private key: a signing key has no
// place on an endpoint. Call under the writer lock. Returns the signer added (or already there).
trust::Result<trust::CertInfo> trust_policy_signer(const trust::Layout& layout, int64_t now,
                                                   const std::string& file,
                                                   const std::string& fingerprint);

// Removes one signer; removing the last one removes the file and returns the endpoint to legacy
// mode, which the caller must say loudly. Call under the writer lock.
trust::Result<trust::CertInfo> untrust_policy_signer(const trust::Layout& layout,
                                                     const std::string& fingerprint);

// The signer set a signed index introduced (rotation). Call under the writer lock.
trust::Result<void> replace_policy_signers(const trust::Layout& layout,
                                           const std::vector<std::string>& ders);

// How the last accepted index arrived.
struct IndexRecord {
  policy::AcceptedIndex index;
  std::string from;  // the URL it was fetched from
  int64_t accepted_at = 0;
  // Set when the central server was not authenticated by the store, and the content was accepted
  // by its signature alone: the certificate that server presented.
  std::string unverified_sha256, unverified_subject;
};

// nullopt when there is none yet. A record that is there but unreadable or damaged is an error,
// never "none": that would let an older index in (the serial is what refuses a replay).
trust::Result<std::optional<IndexRecord>> load_index_record(const trust::Layout& layout);
trust::Result<void> save_index_record(const trust::Layout& layout, const IndexRecord& record);

// Warned this long before the accepted index expires, and before a signer's certificate does.
inline constexpr int64_t kIndexExpiringSeconds = 2 * 86400;
inline constexpr int64_t kSignerExpiringSeconds = 30 * 86400;

// For `status`: policy_index_expiring / policy_index_expired (a stalled publisher, or a server
// replaying an old index to freeze the endpoint), central_server_unauthenticated (the last index
// came over a connection the store did not authenticate), policy_signer_expiring,
// policy_signers_refused and policy_index_state_damaged. Nothing in legacy mode.
std::vector<trust::AnchorWarning> signed_policy_warnings(const trust::Layout& layout, int64_t now);

// {"mode": "signed"|"legacy", "signers": [...], "index": {...}|null} for `status --json`.
nlohmann::json signed_policy_json(const trust::Layout& layout);

}  // namespace agent
