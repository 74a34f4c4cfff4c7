// The refresh protocol's table of contents, <base>/policies/index.xml:
//
//   <PolicyIndex>
//     <Policy guid="6f0c-1" revision="12" sha256="…64 hex…" href="6f0c-1.xml"/>
//   </PolicyIndex>
//
// An href is a path relative to <base>/policies/: plain names separated by '/', no "..", no
// scheme, host or query, so an index can never send the agent outside its central server.
// An entry that breaks a rule is refused on its own; the rest of the index still counts.
#pragma once

#include <cstdint>
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

struct ParsedIndex {
  std::vector<IndexEntry> entries;
  std::vector<trust::Error> refused;
};

inline constexpr size_t kMaxIndexBytes = 4 << 20;
inline constexpr size_t kMaxIndexEntries = 10000;

trust::Result<ParsedIndex> parse_index(std::string_view xml, const std::string& source);
std::string write_index(const std::vector<IndexEntry>& entries);

// The index for a folder of policy files (every *.xml but index.xml); each must be a valid policy.
// `parsed`, when given, receives the policies in the same order.
trust::Result<std::vector<IndexEntry>> index_for_directory(const std::string& dir,
                                                           std::vector<Policy>* parsed = nullptr);

bool is_safe_guid(std::string_view guid);

}  // namespace policy
