// The central server's side of `policy publish`: writes DIR/index.xml for the policies in DIR
// and, with a signing key, its detached CMS signature DIR/index.xml.sig (policy/signed_index.h).
//
// A signed index gets serial = max(the previous index's serial + 1, now in Unix seconds), so
// serials only grow even when a publish starts from a fresh folder, and expires = now + lifetime.
// Publishing again renews the expiry. The signature is checked against the signing certificate
// before anything is written: a signer that has expired, or whose key is not its own, gets an
// error here instead of an index every endpoint refuses. The key is read into memory and nothing
// else: it is never written anywhere.
//
// The signature is written before the index. An endpoint reading between the two renames sees a
// pair that does not match, refuses it, and keeps its policies until its next refresh.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/index.h"
#include "policy/signed_index.h"
#include "trust/result.h"

namespace agent {

struct IndexSigning {
  std::string key_file, cert_file;
  std::string pass_file;  // "" when the key is not encrypted
  int64_t lifetime_seconds = policy::kDefaultIndexLifetimeSeconds;
  std::string next_signers_file;  // "" : the signers stay; else the endpoints' signers from now on
};

struct PublishedIndex {
  std::string index_path, signature_path;  // signature_path "" when unsigned
  std::optional<policy::AcceptedIndex> signed_terms;
  size_t next_signers = 0;
  bool stale_signature_removed = false;  // an unsigned publish removed an old index.xml.sig
};

trust::Result<PublishedIndex> write_policy_index(const std::string& dir,
                                                 const std::vector<policy::IndexEntry>& entries,
                                                 const std::optional<IndexSigning>& signing,
                                                 int64_t now);

}  // namespace agent
