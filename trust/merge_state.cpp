#include "trust/merge_state.h"

#include <sstream>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

// Format 2 changed nothing here; it marks a store whose metadata cache holds the server names
// (trust/cert_cache.cpp, version 3). A format 1 record still loads, and asks for one regeneration.
constexpr std::string_view kHeader = "trustagent-merge-state 2";
constexpr std::string_view kHeaderBeforeServerNames = "trustagent-merge-state 1";

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
  if (!std::getline(in, line) || (line != kHeader && line != kHeaderBeforeServerNames)) {
    return std::nullopt;
  }
  MergeState state;
  state.metadata_outdated = line == kHeaderBeforeServerNames;
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
  out << ' ' << state.anchors << ' ' << state.duplicates << '\n';
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
