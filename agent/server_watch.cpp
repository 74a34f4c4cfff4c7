#include "agent/server_watch.h"

#include <algorithm>
#include <sstream>

#include "agent/connector.h"
#include "trust/atomic_file.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/thresholds.h"
#include "trust/time_format.h"

namespace agent {
namespace {

constexpr size_t kMaxStateBytes = 64 << 10;
constexpr const char* kInUse = "in_use";

std::optional<ServerRole> role_named(const std::string& text) {
  if (text == role_name(ServerRole::kCentral)) return ServerRole::kCentral;
  if (text == role_name(ServerRole::kConfigured)) return ServerRole::kConfigured;
  return std::nullopt;
}

std::string render(const ServersSeen& seen) {
  std::string out;
  for (const auto& s : seen.leaves) {
    // The server's name comes from a URL or a policy <Server>, the subject from a certificate:
    // escaped, neither can end the line or start a record of its own.
    out += std::string(role_name(s.role)) + "\t" + trust::printable_text(s.server) + "\t" +
           s.sha256 + "\t" + std::to_string(s.not_after) + "\t" + trust::printable_text(s.subject) +
           "\n";
  }
  for (const auto& u : seen.in_use) {
    out += std::string(kInUse) + "\t" + u.sha256 + "\t" + std::to_string(u.first_seen) + "\t" +
           std::to_string(u.last_seen) + "\n";
  }
  return out;
}

bool same(const SeenLeaf& a, const SeenLeaf& b) {
  return a.role == b.role && a.server == b.server && a.sha256 == b.sha256 &&
         a.not_after == b.not_after && a.subject == b.subject;
}

std::vector<std::string> fields_of(const std::string& line, size_t at_most) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < at_most) {
    size_t tab = line.find('\t', start);
    if (tab == std::string::npos) break;
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  out.push_back(line.substr(start));  // the last field (a subject) may hold anything but a newline
  return out;
}

bool is_sha256_hex(const std::string& s) { return trust::sha256_from_hex(s).has_value(); }

// True when the record changed. A repeat sighting moves last_seen only once it is an hour old,
// so that a busy agent does not rewrite the file on every connection.
bool note_in_use(std::vector<trust::SeenInUse>& in_use, const std::string& sha256, int64_t now) {
  if (!is_sha256_hex(sha256)) return false;
  for (auto& u : in_use) {
    if (u.sha256 != sha256) continue;
    if (now - u.last_seen < trust::kLastSeenResolutionSeconds) return false;
    u.last_seen = now;
    return true;
  }
  in_use.push_back({sha256, now, now});
  if (in_use.size() > kMaxInUseRecords) {
    // The least recently seen go first: what a server presents today always stays.
    std::sort(in_use.begin(), in_use.end(),
              [](const auto& a, const auto& b) { return a.last_seen > b.last_seen; });
    in_use.resize(kMaxInUseRecords);
  }
  return true;
}

}  // namespace

ServersSeen load_servers_seen(const trust::Layout& layout) {
  ServersSeen out;
  auto text = trust::read_source_file(layout.servers_state, kMaxStateBytes);
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(std::string(kInUse) + "\t", 0) == 0) {
      auto f = fields_of(line, 4);
      trust::SeenInUse u;
      bool ok = f.size() >= 3 && is_sha256_hex(f[1]) && trust::parse_number(f[2], u.first_seen);
      u.last_seen = u.first_seen;  // a line from 0.3.0's first form has no last sighting
      if (ok && f.size() == 4) ok = trust::parse_number(f[3], u.last_seen);
      if (ok) {
        u.sha256 = f[1];
        out.in_use.push_back(std::move(u));
      }
      continue;
    }
    auto f = fields_of(line, 5);
    SeenLeaf s;
    if (f.size() != 5 || !trust::parse_number(f[3], s.not_after)) continue;
    auto role = role_named(f[0]);
    if (!role) continue;
    s.role = *role;
    s.server = f[1];
    s.sha256 = f[2];
    s.subject = f[4];
    out.leaves.push_back(std::move(s));
  }
  return out;
}

std::vector<SeenLeaf> load_seen_leaves(const trust::Layout& layout) {
  return load_servers_seen(layout).leaves;
}

const char* role_name(ServerRole role) {
  switch (role) {
    case ServerRole::kCentral:
      return "central";
    case ServerRole::kConfigured:
      return "server";
    case ServerRole::kNone:
      break;
  }
  return "";
}

trust::Result<void> record_verified_connection(const trust::Layout& layout, ServerRole role,
                                               const std::string& server,
                                               const trust::CertInfo& leaf,
                                               const std::string& anchor_sha256, int64_t now) {
  ServersSeen seen = load_servers_seen(layout);
  bool changed = note_in_use(seen.in_use, leaf.sha256, now);
  changed = note_in_use(seen.in_use, anchor_sha256, now) || changed;
  if (role != ServerRole::kNone) {
    SeenLeaf current{role, server, leaf.sha256, leaf.subject, leaf.not_after};
    auto it = std::find_if(seen.leaves.begin(), seen.leaves.end(),
                           [&](const SeenLeaf& s) { return s.role == role; });
    if (it == seen.leaves.end()) {
      seen.leaves.push_back(current);
      changed = true;
    } else if (!same(*it, current)) {
      *it = current;
      changed = true;
    }
    // The same server recorded under its other role (a bare `connect` to the central server) is
    // the same server seen now: otherwise its old leaf would keep warning after a rollover.
    for (auto& other : seen.leaves) {
      if (other.role == role || !same_server(other.server, server)) continue;
      SeenLeaf updated{other.role, other.server, leaf.sha256, leaf.subject, leaf.not_after};
      if (!same(other, updated)) {
        other = updated;
        changed = true;
      }
    }
  }
  if (!changed) return {};
  if (auto made = trust::make_directories(layout.state_dir); !made) return made;
  return trust::write_file_atomic(layout.servers_state, render(seen));
}

std::vector<trust::AnchorWarning> seen_leaf_warnings(const std::vector<SeenLeaf>& seen,
                                                     const std::vector<trust::Anchor>& anchors,
                                                     const std::vector<trust::Reserve>& reserves,
                                                     int64_t now) {
  std::vector<trust::AnchorWarning> out;
  for (const auto& s : seen) {
    std::string who = (s.role == ServerRole::kCentral ? "the central server " : "the server ") +
                      s.server + " presents '" + s.subject + "'";
    for (const auto& r : reserves) {
      auto replaced = trust::replaced_sha256s(r);
      if (r.pending(now) ||
          std::find(replaced.begin(), replaced.end(), s.sha256) == replaced.end()) {
        continue;
      }
      std::string retires =
          r.seen_at != 0
              ? "it retires on " + trust::to_iso8601(r.seen_at + trust::kRolloverGraceSeconds)
              : "it retires " + std::to_string(trust::kRolloverGraceSeconds / trust::kDay) +
                    " days after a server is first seen presenting the reserve";
      out.push_back({"server_not_switched", s.sha256,
                     who + " (sha256 " + s.sha256 + "), which reserve sha256 " + r.sha256 +
                         " replaced on " + trust::to_iso8601(r.activate_at) + "; " + retires +
                         ", and from then on this endpoint refuses it: switch the server to "
                         "the reserve"});
    }
    if (s.not_after - now > trust::kExpiryWarningDays * trust::kDay) continue;
    bool anchored_or_succeeded = std::any_of(anchors.begin(), anchors.end(), [&](const auto& a) {
      return a.info.sha256 == s.sha256 ||
             (a.info.subject == s.subject && a.info.not_after > s.not_after);
    });
    if (anchored_or_succeeded) continue;
    int64_t days = (s.not_after - now) / trust::kDay;
    std::string when = s.not_after > now ? "expires on " + trust::to_iso8601(s.not_after) +
                                               " (in " + std::to_string(days) + " days)"
                                         : "expired on " + trust::to_iso8601(s.not_after);
    out.push_back({s.not_after > now ? "expires_soon_no_reserve" : "server_certificate_expired",
                   s.sha256,
                   who + ", which " + when +
                       ", and no later certificate for it is known: have it renewed, or "
                       "publish its successor as a reserve"});
  }
  return out;
}

}  // namespace agent
