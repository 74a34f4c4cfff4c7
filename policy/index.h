// The refresh protocol's table of contents, <base>/policies/index.xml:
//
//   <PolicyIndex>
//     <Policy guid="6f0c-1" revision="12" sha256="…64 hex…" href="6f0c-1.xml"/>
//   </PolicyIndex>
//
// A signed index (policy/signed_index.h) also carries, on the root element, serial="N" (only
// grows from one publish to the next) and expires="2026-12-07T00:00:00Z", and may name the policy
// signers that are trusted from then on, one PEM certificate per element:
//
//   <PolicyIndex serial="1764460800" expires="2026-12-07T00:00:00Z">
//     <Signer>-----BEGIN CERTIFICATE-----…</Signer>
//
// An href is a path relative to <base>/policies/: plain names separated by '/', no "..", no
// scheme, host or query, so an index can never send the agent outside its central server.
// An entry that breaks a rule is refused on its own; the rest of the index still counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "trust/result.h"

namespace policy {

struct IndexEntry {
  std::string guid;
  int64_t revision = 0;
  std::string sha256;  // lowercase hex of the policy file's bytes
  std::string href;
};

// What the index says about itself. All absent in an unsigned (legacy) index.
struct IndexHeader {
  std::optional<int64_t> serial;
  std::optional<int64_t> expires;
  std::vector<std::string> signers;  // DER; empty: the signers stay as they are
};

struct ParsedIndex {
  IndexHeader header;
  std::vector<IndexEntry> entries;
  std::vector<trust::Error> refused;
};

inline constexpr size_t kMaxIndexBytes = 4 << 20;
inline constexpr size_t kMaxIndexEntries = 10000;
inline constexpr size_t kMaxIndexSigners = 16;

trust::Result<ParsedIndex> parse_index(std::string_view xml, const std::string& source);
// A malformed serial, expires or <Signer> refuses the whole index: they are the index's own terms.
std::string write_index(const std::vector<IndexEntry>& entries, const IndexHeader& header = {});

// The index for a folder of policy files (every *.xml but index.xml); each must be a valid policy.
// `parsed`, when given, receives the policies in the same order.
trust::Result<std::vector<IndexEntry>> index_for_directory(const std::string& dir,
                                                           std::vector<Policy>* parsed = nullptr);

bool is_safe_guid(std::string_view guid);

}  // namespace policy
