// Regenerates the merged store <home>/etc/cainfo-merged.pem (and its index) from the sources, in
// source order, de-duplicated by DER bytes, annotated, atomically, and only when needed:
//
//  - nothing changed: one stat per source, the merged file and its index; no file is read;
//  - a source's stat moved: its content is hashed, and the store regenerates only if it differs;
//  - a source appeared, disappeared or was refused, the source list changed, or the merged file is
//    missing or not what was last written (edited by hand): the store regenerates;
//  - force: always regenerates.
//
// It never drops anchors by accident: if a source that gave certificates at the last merge still
// exists but now yields none (empty, garbage, unreadable), or if the sources that exist all read as
// empty while the current store has anchors, the current store is kept and an error returned.
// A source refused by the ownership and mode rules is different: its anchors are dropped at once.
//
// The caller holds the writer lock (FileLock on layout.lock).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trust/certificate.h"
#include "trust/layout.h"
#include "trust/result.h"

namespace trust {

class CertCache;

struct SourceSpec {
  std::string path;     // absolute
  std::string display;  // "cainfo.pem" for the agent's own files, the path otherwise
  // The CAPath directory the file was found in, "" for a named file. In a directory, a file that
  // holds no certificate at all (a CRL, a README) is noted, not bad input.
  std::string directory = "";
};

enum class SourceStatus { kOk, kMissing, kRefused };

// "ok", "missing", "refused": the words JSON and merge.state use.
const char* source_status_name(SourceStatus status);
std::optional<SourceStatus> source_status_from(std::string_view name);

struct SourceReport {
  std::string path, display;
  std::string directory;  // as in SourceSpec
  SourceStatus status = SourceStatus::kMissing;
  std::string reason;  // why refused or unreadable
  int anchors = 0;     // certificates read from it (before de-duplication)
};

struct Skipped {
  std::string file;
  int block = 0;  // 0: the whole file
  std::string reason;
};

struct AnchorChange {
  std::string sha256, subject;
};

struct MergeOptions {
  bool force = false;
  bool allow_empty = false;  // let a source, or the whole store, lose all its anchors
};

struct MergeReport {
  bool regenerated = false;
  std::string why;  // what made it regenerate
  int anchors = 0;
  int duplicates = 0;
  std::vector<AnchorChange> added, removed;
  std::vector<SourceReport> sources;
  std::vector<Skipped> skipped;
  // Files of a CAPath directory that hold no certificate at all (CRLs, text, build files): noted
  // once, and no reason for a failing exit code.
  std::vector<Skipped> not_certificates;
  std::vector<std::string> notes;  // e.g. the merged file had been edited by hand
  // Sources of the previous store that are not sources any more (a one-off --ca-file, a CA file
  // a policy stopped naming): their anchors left the store, which must never go unsaid.
  std::vector<std::string> unlisted_sources;

  // False when some input was refused, unreadable or had blocks skipped: the merge of the good
  // parts happened, and the CLI exits 2 so that scripts notice.
  bool clean() const;
};

// `cache`, when given, is the run's certificate cache (see maintain_rollover), else it is loaded.
Result<MergeReport> update_store(const Layout& layout, const std::vector<SourceSpec>& sources,
                                 const MergeOptions& options, CertCache* cache = nullptr);

// What the last regeneration recorded, without checking or changing anything: for a command that
// must work from the last good store when the disk takes no writes. Fails when there is none.
Result<MergeReport> last_merge_report(const Layout& layout);

// One anchor of the current store, in store order (1-based index).
struct Anchor {
  int index = 0;
  CertInfo info;
  std::vector<std::string> sources;  // display names
};

// The anchors of the store as last written, from its index and the metadata cache.
Result<std::vector<Anchor>> load_anchors(const Layout& layout);

}  // namespace trust
