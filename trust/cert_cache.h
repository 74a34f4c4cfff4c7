// Parsed metadata of every certificate trustagent has seen, keyed by the SHA-256 of its DER.
// Parsing X.509 is what a merge costs; with this cache a regeneration decodes and hashes, and
// parses only certificates it has not seen before. Entries exist only for DER that parsed, so a
// hit also vouches that those exact bytes are a well-formed certificate.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/result.h"

namespace trust {

class CertCache {
 public:
  // A missing or damaged cache is empty: it is only an accelerator, never a source of trust.
  static CertCache load(const std::string& path);
  // The same, read at the first use: a command that finds nothing changed never reads it (at
  // 100,000 anchors the file is tens of megabytes).
  static CertCache on_demand(const std::string& path);

  const CertInfo* find(const Sha256& sha256) const;
  const CertInfo* find(const std::string& sha256_hex) const;
  // Only for a certificate that decoded and passed store_defect(): an entry is taken as checked,
  // and the merge decodes and checks only what the cache does not hold.
  void insert(const Sha256& sha256, CertInfo info);
  bool dirty() const { return dirty_; }

  // Writes only the entries in `keep` (the anchors of the store just written).
  Result<void> save(const std::string& path,
                    const std::unordered_set<Sha256, DigestHash>& keep) const;

 private:
  void load_if_pending() const;

  mutable std::unordered_map<Sha256, CertInfo, DigestHash> entries_;
  mutable std::optional<std::string> pending_path_;  // on_demand, not read yet
  bool dirty_ = false;
};

}  // namespace trust
