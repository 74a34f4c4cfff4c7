// What `reserve add` checks before a certificate becomes a reserve, as the legacy klsetsrvcert
// did at install time: the requirements of a management server's certificate (trust/lint.h,
// profile common: key size, SHA-2, at most 397 days, key usage, a complete chain), and whether a
// CA-issued reserve chains to the same root as the current certificate of the same subject (the
// seeds: "the reserve must have the same root as the current certificate").
//
// The chain is the file's certificates, completed from the store's anchors: a reserve issued by a
// CA the store already trusts is complete. A CA as a reserve (a root rollover) is held only to
// what makes any certificate unfit: key size, SHA-2, validity now.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/layout.h"
#include "trust/lint.h"
#include "trust/result.h"

namespace agent {

struct ReserveReview {
  std::vector<trust::LintFinding> findings;  // refuse unless --force
  std::vector<std::string> notes;            // the root comparison, said either way
};

trust::Result<ReserveReview> review_reserve(const trust::Layout& layout,
                                            const std::vector<std::string>& ders, int64_t now);

}  // namespace agent
