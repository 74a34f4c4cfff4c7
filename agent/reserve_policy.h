// The central server's side of publishing a reserve (the legacy `klsetsrvcert -t CR -i FILE`):
// turns a certificate file into a <ReserveCertificate> in a policy of DIR, bumps that policy's
// revision and republishes DIR's index, so nobody pastes PEM into XML by hand.
//
// The policy is DIR/<guid>.xml (default guid "reserve-" and the first 16 hex digits of the
// certificate's SHA-256; a given guid is letters, digits, '-' and '_', never "index"). An existing
// one is rewritten canonically: every setting it makes is kept (elements this version does not
// know are not), and the same certificate is replaced, not added twice. The policy file and the
// index change together: if the index cannot be written (a signed folder without its key, say), the
// policy file is put back as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/index_publisher.h"
#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/layout.h"
#include "trust/lint.h"
#include "trust/result.h"

namespace agent {

struct ReservePolicyRequest {
  std::string cert_file, dir;
  std::string guid;                    // "" : reserve-<sha256 prefix>
  std::optional<int64_t> activate_at;  // absent: when the certificate it replaces expires
  std::vector<trust::Fingerprint> replaces;
  std::optional<IndexSigning> signing;
  bool force_unsigned = false;
  int64_t now = 0;
  // The same review as `reserve add` (agent/reserve_review.h), against this home's store: its
  // findings refuse the publish unless `force`, and are then reported in `forced`.
  trust::Layout review_layout;
  bool force = false;
};

struct ReservePolicyReport {
  std::string guid, policy_path;
  int64_t revision = 0;
  trust::CertInfo cert;
  PublishedIndex index;
  std::vector<trust::LintFinding> forced;  // findings published anyway (--force)
  std::vector<std::string> notes;          // the review's notes (the root comparison)
};

trust::Result<ReservePolicyReport> publish_reserve_policy(const ReservePolicyRequest& request);

}  // namespace agent
