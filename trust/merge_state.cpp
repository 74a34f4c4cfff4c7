#include "trust/merge_state.h"

#include <sstream>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

// Written as format 1, which every version since 0.2.0 reads, so that going back to an older
// binary and forward again costs no regeneration and no hooks. The "merged" line ends with the
// word kNamesMark when the metadata cache holds the server names (trust/cert_cache.cpp, version
// 3): older readers stop reading that line after the counts. 0.6.0 and 0.7.0 wrote the same
// mark as a format 2 header, still read here. A record without the mark asks for one renewal of
// the metadata.
constexpr std::string_view kHeader = "trustagent-merge-state 1";
constexpr std::string_view kHeaderWithServerNames = "trustagent-merge-state 2";
constexpr std::string_view kNamesMark = "names";

void write_stamp(std::ostream& out, const FileStamp& s) {
  out << s.dev << ' ' << s.ino << ' ' << s.size << ' ' << s.mtime_ns << ' ' << s.ctime_ns << ' '
      << s.mode << ' ' << s.uid;
}

bool read_stamp(std::istream& in, FileStamp& s) {
  return static_cast<bool>(in >> s.dev >> s.ino >> s.size >> s.mtime_ns >> s.ctime_ns >> s.mode >>
                           s.uid);
}

}  // namespace

std::optional<MergeState> load_merge_state(const std::string& path) {
  auto content = read_source_file(path, 64 << 20);
  if (!content) return std::nullopt;
  std::istringstream in(*content);
  std::string line;
  if (!std::getline(in, line) || (line != kHeader && line != kHeaderWithServerNames)) {
    return std::nullopt;
  }
  MergeState state;
  state.metadata_outdated = line != kHeaderWithServerNames;
  bool have_merged = false;
  while (std::getline(in, line)) {
    auto fields = tab_fields(line);
    if (line.empty()) continue;
    std::istringstream head{std::string(fields[0])};
    std::string kind;
    head >> kind;
    if (kind == "merged") {
      if (!(head >> state.merged_sha256) || !read_stamp(head, state.merged_stamp) ||
          !read_stamp(head, state.index_stamp) || !(head >> state.anchors >> state.duplicates)) {
        return std::nullopt;
      }
      if (std::string mark; head >> mark && mark == kNamesMark) state.metadata_outdated = false;
      have_merged = true;
    } else if (kind == "source" && (fields.size() == 4 || fields.size() == 5)) {
      SourceState s;
      std::string status;
      if (!(head >> status >> s.content_sha256 >> s.report.anchors) || !read_stamp(head, s.stamp)) {
        return std::nullopt;
      }
      auto known = source_status_from(status);
      if (!known) return std::nullopt;
      s.report.status = *known;
      if (s.content_sha256 == "-") s.content_sha256.clear();
      s.report.path = std::string(fields[1]);
      s.report.display = std::string(fields[2]);
      s.report.reason = std::string(fields[3]);
      if (fields.size() == 5) s.report.directory = std::string(fields[4]);
      state.sources.push_back(std::move(s));
    } else if ((kind == "skipped" || kind == "not-certificate") && fields.size() == 3) {
      Skipped sk;
      if (!(head >> sk.block)) return std::nullopt;
      sk.file = std::string(fields[1]);
      sk.reason = std::string(fields[2]);
      (kind == "skipped" ? state.skipped : state.not_certificates).push_back(std::move(sk));
    } else {
      return std::nullopt;  // damaged: the caller regenerates, which rewrites it
    }
  }
  if (!have_merged) return std::nullopt;
  return state;
}

Result<void> save_merge_state(const std::string& path, const MergeState& state) {
  std::ostringstream out;
  out << kHeader << '\n';
  out << "merged " << state.merged_sha256 << ' ';
  write_stamp(out, state.merged_stamp);
  out << ' ';
  write_stamp(out, state.index_stamp);
  out << ' ' << state.anchors << ' ' << state.duplicates << ' ' << kNamesMark << '\n';
  for (const auto& s : state.sources) {
    out << "source " << source_status_name(s.report.status) << ' '
        << (s.content_sha256.empty() ? "-" : s.content_sha256) << ' ' << s.report.anchors << ' ';
    write_stamp(out, s.stamp);
    out << '\t' << record_field(s.report.path) << '\t' << record_field(s.report.display) << '\t'
        << record_field(s.report.reason);
    if (!s.report.directory.empty()) out << '\t' << record_field(s.report.directory);
    out << '\n';
  }
  for (const auto& sk : state.skipped) {
    out << "skipped " << sk.block << '\t' << record_field(sk.file) << '\t'
        << record_field(sk.reason) << '\n';
  }
  for (const auto& sk : state.not_certificates) {
    out << "not-certificate " << sk.block << '\t' << record_field(sk.file) << '\t'
        << record_field(sk.reason) << '\n';
  }
  return write_file_atomic(path, out.str());
}

}  // namespace trust
