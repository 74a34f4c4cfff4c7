#include "agent/readiness.h"

#include <algorithm>
#include <array>
#include <ctime>

#include "policy/policy.h"
#include "trust/fingerprint.h"
#include "trust/safe_text.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace agent {
namespace {

// The text between the last two double quotes of a combined-format line: the User-Agent.
std::optional<std::string> last_quoted(const std::string& line) {
  size_t close = line.rfind('"');
  if (close == std::string::npos || close == 0) return std::nullopt;
  size_t open = line.rfind('"', close - 1);
  if (open == std::string::npos) return std::nullopt;
  return line.substr(open + 1, close - open - 1);
}

// "endpoint=…; policies=…; reserves=…" inside "trustagent/V (…)".
std::map<std::string, std::string> agent_fields(const std::string& ua) {
  std::map<std::string, std::string> out;
  if (ua.rfind("trustagent/", 0) != 0) return out;
  size_t open = ua.find('('), close = ua.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string inside = ua.substr(open + 1, close - open - 1);
  size_t at = 0;
  while (at <= inside.size()) {
    size_t end = inside.find("; ", at);
    std::string field = inside.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (auto eq = field.find('='); eq != std::string::npos) {
      out[field.substr(0, eq)] = field.substr(eq + 1);
    }
    if (end == std::string::npos) break;
    at = end + 2;
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t comma = s.find(',', at);
    out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

bool apply_state(const std::map<std::string, std::string>& fields, EndpointSeen& e) {
  e.policies.clear();
  e.reserves.clear();
  e.listing_capped = false;
  auto policies = fields.find("policies");
  auto reserves = fields.find("reserves");
  if (policies == fields.end() || reserves == fields.end()) return false;
  for (const auto& item : split_commas(policies->second)) {
    if (item == "-") continue;
    if (item.rfind('+', 0) == 0) {
      e.listing_capped = true;
      continue;
    }
    auto at = item.rfind('@');
    int64_t revision = 0;
    if (at == std::string::npos || !trust::parse_number(item.substr(at + 1), revision) ||
        !policy::is_valid_guid(item.substr(0, at))) {
      return false;
    }
    e.policies[item.substr(0, at)] = revision;
  }
  for (const auto& item : split_commas(reserves->second)) {
    if (item == "-") continue;
    if (item.rfind('+', 0) == 0) {
      e.listing_capped = true;
      continue;
    }
    // At least the 16 digits the agent sends: a shorter prefix would match any reserve.
    if (item.size() < 16 || item.size() > 64 ||
        item.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return false;
    }
    e.reserves.push_back(item);
  }
  return true;
}

bool is_endpoint_id(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool holds_reserve(const EndpointSeen& e, const std::string& sha256) {
  for (const auto& prefix : e.reserves) {
    if (!prefix.empty() && sha256.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> parse_log_time(const std::string& text) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // dd/Mon/yyyy:HH:MM:SS +zzzz
  if (text.size() != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[20] != ' ') {
    return std::nullopt;
  }
  std::tm tm{};
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (text.compare(3, 3, kMonths[static_cast<size_t>(i)]) == 0) month = i;
  }
  int zone_hours = 0, zone_minutes = 0;
  if (month < 0 || !trust::parse_number(text.substr(0, 2), tm.tm_mday) ||
      !trust::parse_number(text.substr(7, 4), tm.tm_year) ||
      !trust::parse_number(text.substr(12, 2), tm.tm_hour) ||
      !trust::parse_number(text.substr(15, 2), tm.tm_min) ||
      !trust::parse_number(text.substr(18, 2), tm.tm_sec) || (text[21] != '+' && text[21] != '-') ||
      !trust::parse_number(text.substr(22, 2), zone_hours) ||
      !trust::parse_number(text.substr(24, 2), zone_minutes)) {
    return std::nullopt;
  }
  tm.tm_mon = month;
  tm.tm_year -= 1900;
  int64_t offset = (zone_hours * 3600 + zone_minutes * 60) * (text[21] == '-' ? -1 : 1);
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

AccessLog read_access_log(std::istream& in) {
  AccessLog log;
  std::map<std::string, EndpointSeen> by_id;
  std::string line;
  while (std::getline(in, line)) {
    ++log.lines;
    size_t open = line.find('['), close = line.find(']');
    auto ua = last_quoted(line);
    std::optional<int64_t> when;
    if (open != std::string::npos && close != std::string::npos && close > open) {
      when = parse_log_time(line.substr(open + 1, close - open - 1));
    }
    if (!when || !ua) {
      ++log.unreadable;
      continue;
    }
    auto fields = agent_fields(*ua);
    auto id = fields.find("endpoint");
    // Anyone can send any User-Agent: only an id of the agent's own form is taken, so a forged
    // line can add a fake endpoint at most, never text that reads as something else.
    if (id == fields.end() || !is_endpoint_id(id->second)) {
      ++log.other_clients;
      continue;
    }
    auto known = by_id.find(id->second);
    if (known != by_id.end() && *when < known->second.last_seen) continue;  // logged late
    EndpointSeen next;
    next.id = id->second;
    next.last_seen = *when;
    next.address = trust::printable_text(line.substr(0, std::min(line.find(' '), size_t{64})));
    if (!apply_state(fields, next)) {
      ++log.unreadable;
      continue;
    }
    by_id[next.id] = std::move(next);
  }
  for (auto& [id, e] : by_id) log.endpoints.push_back(std::move(e));
  return log;
}

Readiness assess(const AccessLog& log, const ReadinessQuery& query) {
  Readiness out;
  for (const auto& e : log.endpoints) {
    bool ready = true;
    if (!query.policy_guid.empty()) {
      auto it = e.policies.find(query.policy_guid);
      ready = it != e.policies.end() && it->second >= query.policy_revision;
    }
    if (!query.reserve_sha256.empty()) ready = ready && holds_reserve(e, query.reserve_sha256);
    (ready ? out.ready : out.not_ready).push_back(e);
    if (query.since && e.last_seen < *query.since) out.not_seen_since.push_back(e);
  }
  return out;
}

trust::Result<ReadinessQuery> readiness_query(const std::string& policy, const std::string& reserve,
                                              const std::string& since) {
  auto bad = [](const std::string& why) { return trust::make_error(trust::Code::kBadInput, why); };
  if (policy.empty() && reserve.empty()) {
    return bad("readiness needs --policy GUID@REVISION or --reserve SHA256: ready for what?");
  }
  ReadinessQuery query;
  if (!policy.empty()) {
    auto at = policy.rfind('@');
    if (at == std::string::npos || at == 0 ||
        !trust::parse_number(policy.substr(at + 1), query.policy_revision)) {
      return bad("--policy '" + policy + "' is not GUID@REVISION");
    }
    query.policy_guid = policy.substr(0, at);
  }
  if (!reserve.empty()) {
    auto fp = trust::parse_fingerprint(reserve);
    if (!fp || fp->algorithm != trust::Fingerprint::Algorithm::kSha256) {
      return bad("--reserve '" + reserve + "' is not a SHA-256 fingerprint");
    }
    query.reserve_sha256 = fp->hex;
  }
  if (!since.empty()) {
    query.since = trust::from_iso8601(since);
    if (!query.since) return bad("--since '" + since + "' is not like 2027-01-10T00:00:00Z");
  }
  return query;
}

}  // namespace agent
