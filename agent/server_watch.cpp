#include "agent/server_watch.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace agent {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxStateBytes = 64 << 10;

std::string state_path(const trust::Layout& layout) { return layout.state_dir + "/servers.state"; }

std::string render(const std::vector<SeenLeaf>& seen) {
  std::string out;
  for (const auto& s : seen) {
    out += s.role + "\t" + s.server + "\t" + s.sha256 + "\t" + std::to_string(s.not_after) + "\t" +
           s.subject + "\n";
  }
  return out;
}

bool same(const SeenLeaf& a, const SeenLeaf& b) {
  return a.role == b.role && a.server == b.server && a.sha256 == b.sha256 &&
         a.not_after == b.not_after && a.subject == b.subject;
}

}  // namespace

std::vector<SeenLeaf> load_seen_leaves(const trust::Layout& layout) {
  std::vector<SeenLeaf> out;
  auto text = trust::read_source_file(state_path(layout), kMaxStateBytes);
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    SeenLeaf s;
    std::string not_after;
    std::istringstream fields(line);
    if (!std::getline(fields, s.role, '\t') || !std::getline(fields, s.server, '\t') ||
        !std::getline(fields, s.sha256, '\t') || !std::getline(fields, not_after, '\t') ||
        !std::getline(fields, s.subject)) {
      continue;
    }
    auto [end, ec] =
        std::from_chars(not_after.data(), not_after.data() + not_after.size(), s.not_after);
    if (ec != std::errc() || end != not_after.data() + not_after.size()) continue;
    out.push_back(std::move(s));
  }
  return out;
}

trust::Result<void> record_seen_leaf(const trust::Layout& layout, const std::string& role,
                                     const std::string& server, const trust::CertInfo& leaf) {
  SeenLeaf now{role, server, leaf.sha256, leaf.subject, leaf.not_after};
  std::vector<SeenLeaf> seen = load_seen_leaves(layout);
  auto it =
      std::find_if(seen.begin(), seen.end(), [&](const SeenLeaf& s) { return s.role == role; });
  if (it != seen.end() && same(*it, now)) return {};
  if (it != seen.end()) {
    *it = now;
  } else {
    seen.push_back(now);
  }
  return trust::write_file_atomic(state_path(layout), render(seen));
}

std::vector<trust::AnchorWarning> seen_leaf_warnings(const std::vector<SeenLeaf>& seen,
                                                     const std::vector<trust::Anchor>& anchors,
                                                     int64_t now) {
  std::vector<trust::AnchorWarning> out;
  for (const auto& s : seen) {
    if (s.not_after - now > trust::kExpiryWarningDays * kDay) continue;
    bool anchored_or_succeeded = std::any_of(anchors.begin(), anchors.end(), [&](const auto& a) {
      return a.info.sha256 == s.sha256 ||
             (a.info.subject == s.subject && a.info.not_after > s.not_after);
    });
    if (anchored_or_succeeded) continue;
    int64_t days = (s.not_after - now) / kDay;
    std::string when = s.not_after > now ? "expires on " + trust::to_iso8601(s.not_after) +
                                               " (in " + std::to_string(days) + " days)"
                                         : "expired on " + trust::to_iso8601(s.not_after);
    std::string who = s.role == kCentralServerRole ? "the central server " : "the server ";
    out.push_back({"expires_soon_no_reserve", s.sha256,
                   who + s.server + " presents '" + s.subject + "', which " + when +
                       ", and no later certificate for it is known: have it renewed, or "
                       "publish its successor as a reserve"});
  }
  return out;
}

}  // namespace agent
