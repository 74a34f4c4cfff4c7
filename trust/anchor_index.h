// The merged store as a verifier sees it: anchors found through the index
// (<home>/etc/cainfo-merged.idx) by subject-name hash or by fingerprint, so a verification parses
// only the anchors whose subject matches the issuer it is looking for, the way OpenSSL's hashed
// CApath directories work. Both files are memory-mapped; nothing is read until it is needed.
// Issuers are chosen by key, not just by name: among anchors of one name, the index narrows by
// the certificate's authorityKeyIdentifier, and the one whose key verifies the signature wins.
// At most 64 anchors of one name are decoded per lookup; capped() says when that bound was hit.
//
// If the index does not describe the store on disk (stale, damaged, missing), the anchors are
// loaded from the store itself instead: slower, never less trusting, never more.
#pragma once

#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "trust/layout.h"
#include "trust/mapped_file.h"
#include "trust/ossl.h"
#include "trust/result.h"

namespace trust {

struct IndexedAnchor {
  int index = 0;  // 1-based store position
  std::string sha256;
  std::string subject;
};

class AnchorIndex {
 public:
  static Result<std::shared_ptr<AnchorIndex>> open(const Layout& layout);

  // Gives `store` a lookup backed by this index (or, when stale, every anchor of the store).
  // The index must outlive the store.
  Result<void> attach(X509_STORE* store);

  // The anchor with this DER SHA-256, if the store holds it.
  std::optional<IndexedAnchor> find_by_sha256(const std::string& sha256_hex) const;
  // Every anchor whose subject has OpenSSL's hash `subject_hash` (X509_NAME_hash_ex).
  std::vector<IndexedAnchor> find_by_subject_hash(unsigned long subject_hash) const;

  bool stale() const { return stale_; }
  int parsed() const { return parsed_; }  // anchors decoded so far, for tests and benchmarks
  // Set when a lookup met more anchors of one name than it tries: what it skipped, in words.
  const std::string& capped() const { return capped_; }

  // Used by the X509_LOOKUP callback.
  int add_matching(X509_STORE* store, const X509_NAME& name, X509_OBJECT* ret);
  // Used as the store's get_issuer: among the anchors named as x's issuer (narrowed by x's
  // authorityKeyIdentifier through the index), the one whose key verifies x's signature.
  int find_issuer(X509** issuer, X509_STORE_CTX* ctx, X509* x);

 private:
  AnchorIndex(MappedFile store, std::optional<MappedFile> index)
      : store_(std::move(store)), index_(std::move(index)) {}
  struct Line {
    int index = 0;
    std::string sha256, key_id, subject;
    unsigned long subject_hash = 0;
    size_t offset = 0, length = 0;
  };
  std::vector<Line> lines_matching(const std::string& field) const;
  ossl::Ptr<X509> decode(const Line& line);
  void note_cap(const std::string& subject);

  MappedFile store_;
  std::optional<MappedFile> index_;
  bool stale_ = false;
  std::vector<IndexedAnchor> loaded_;  // every anchor, when the index could not be used
  int parsed_ = 0;
  std::string capped_;
  std::set<size_t> added_;  // offsets already given to the X509_STORE
};

}  // namespace trust
