// The central server's side of `policy publish`: writes DIR/index.xml for the policies in DIR
// and, with a signing key, its detached CMS signature DIR/index.xml.sig (policy/signed_index.h).
//
// A signed index gets serial = max(the previous index's serial + 1, now in Unix seconds), so
// serials only grow even when a publish starts from a fresh folder, and expires = now + lifetime
// (1 hour to 366 days). Publishing again renews the expiry. Several keys sign together (a signer
// being rotated: endpoints that missed the rotation still know the old one). The signature is
// checked against each signing certificate, and every next signer for usability, before anything
// is written: what endpoints would refuse is an error here. Keys are read into memory and nothing
// else: they are never written anywhere.
//
// Publishes of one folder take turns (DIR/.publish.lock). The new pair is first written whole as
// DIR/.index.xml.next and DIR/.index.xml.sig.next (the latter last: its presence means the pair
// is complete), then the signature and the index replace the live ones, then the two go. A
// publisher killed between replacing the signature and the index leaves a live pair that does
// not match; the next publish completes it from the pair it left before anything else, even if
// that publish then fails (a bad key, say). An endpoint reading between the two renames sees a
// pair that does not match, refuses it, and keeps its policies until its next refresh.
// An unsigned publish over a signed folder is refused unless `force_unsigned`: endpoints with
// signers would refuse it.
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
  std::vector<std::string> key_files, cert_files;  // pairs, in the same order
  std::string pass_file;  // "" when no key is encrypted; else the passphrase of each that is
  int64_t lifetime_seconds = policy::kDefaultIndexLifetimeSeconds;
  std::string next_signers_file;  // "" : the signers stay; else the endpoints' signers from now on
};

struct PublishedIndex {
  std::string index_path, signature_path;  // signature_path "" when unsigned
  std::optional<policy::AcceptedIndex> signed_terms;
  size_t next_signers = 0;
  bool stale_signature_removed = false;  // an unsigned publish removed an old index.xml.sig
  bool completed_interrupted = false;    // a killed publish's pair was put in place first
};

inline constexpr int64_t kMinIndexLifetimeSeconds = 3600;
inline constexpr int64_t kMaxIndexLifetimeSeconds = 366 * 86400;

trust::Result<PublishedIndex> write_policy_index(const std::string& dir,
                                                 const std::vector<policy::IndexEntry>& entries,
                                                 const std::optional<IndexSigning>& signing,
                                                 int64_t now, bool force_unsigned = false);

}  // namespace agent
