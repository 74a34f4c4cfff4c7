// What the sources and the merged file looked like at the last regeneration, so the next merge
// can tell "nothing changed" from a stat per file. Kept in <home>/var/state/merge.state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trust/merge.h"
#include "trust/result.h"
#include "trust/source_check.h"

namespace trust {

struct SourceState {
  SourceReport report;
  FileStamp stamp;
  std::string content_sha256;  // empty unless read
};

struct MergeState {
  std::vector<SourceState> sources;
  FileStamp merged_stamp;
  std::string merged_sha256;
  FileStamp index_stamp;
  int anchors = 0;
  int duplicates = 0;
  std::vector<Skipped> skipped;
  std::vector<Skipped> not_certificates;
  // Written by a version whose certificate metadata lacked what this one needs: regenerate once.
  bool metadata_outdated = false;
};

std::optional<MergeState> load_merge_state(const std::string& path);
Result<void> save_merge_state(const std::string& path, const MergeState& state);

}  // namespace trust
