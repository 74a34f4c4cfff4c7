// The merged store's text and its index <home>/etc/cainfo-merged.idx: one line per anchor with its
// position, fingerprints, subject-name hash and byte range in the store, so a verifier can find
// the anchors for an issuer name without parsing the other 9,999 (as OpenSSL's hashed CApath
// directories do), and among many anchors of one name the one whose key identifier a
// certificate's authorityKeyIdentifier names. The index names the SHA-256 of the store it
// describes; a mismatch means stale.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trust/certificate.h"
#include "trust/merge.h"

namespace trust {

struct StoreEntry {
  const CertInfo* info = nullptr;
  std::string_view der;
  std::vector<std::string> sources;
};

struct IndexEntry {
  int index = 0;  // 1-based store order
  std::string sha256, sha1;
  unsigned long subject_hash = 0;
  size_t offset = 0, length = 0;  // the PEM block's bytes in the store
  std::string key_id;             // subjectKeyIdentifier hex, "-" when absent
  std::string subject;
  std::vector<std::string> sources;
};

struct RenderedStore {
  std::string text;
  std::vector<IndexEntry> index;
};

// Only anchors and their annotations: a source that contributes nothing leaves the bytes alone.
RenderedStore render_store(const std::vector<StoreEntry>& anchors);

std::string render_index(const std::vector<IndexEntry>& index, const std::string& store_sha256);

struct LoadedIndex {
  std::string store_sha256;
  std::vector<IndexEntry> entries;
};
std::optional<LoadedIndex> load_index(const std::string& path);

}  // namespace trust
