#include "agent/refresh_record.h"

#include <nlohmann/json.hpp>

#include "agent/json_text.h"
#include "trust/atomic_file.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

std::string record_path(const trust::Layout& layout) { return layout.refresh_record; }

int64_t number_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string text_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::vector<PendingPolicy> pending_from(const nlohmann::json& j) {
  std::vector<PendingPolicy> out;
  auto it = j.find("not_installed");
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    PendingPolicy p;
    p.guid = text_field(e, "guid");
    p.listed_revision = number_field(e, "listed_revision");
    if (auto r = e.find("in_force_revision"); r != e.end() && r->is_number_integer()) {
      p.in_force_revision = r->get<int64_t>();
    }
    p.reason = text_field(e, "reason");
    p.since = number_field(e, "since");
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json pending_json(const std::vector<PendingPolicy>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : list) {
    out.push_back({{"guid", p.guid},
                   {"listed_revision", p.listed_revision},
                   {"in_force_revision", p.in_force_revision ? nlohmann::json(*p.in_force_revision)
                                                             : nlohmann::json(nullptr)},
                   {"reason", p.reason},
                   {"since", p.since}});
  }
  return out;
}

// The same policy missing at the same listed revision keeps the time it first went missing.
std::vector<PendingPolicy> carry_since(const std::vector<PendingPolicy>& before,
                                       std::vector<PendingPolicy> now_missing, int64_t now) {
  for (auto& p : now_missing) {
    p.since = now;
    for (const auto& b : before) {
      if (b.guid == p.guid && b.listed_revision == p.listed_revision && b.since != 0) {
        p.since = b.since;
      }
    }
  }
  return now_missing;
}

bool same_pending(const std::vector<PendingPolicy>& a, const std::vector<PendingPolicy>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].guid != b[i].guid || a[i].listed_revision != b[i].listed_revision ||
        a[i].reason != b[i].reason || a[i].in_force_revision != b[i].in_force_revision) {
      return false;
    }
  }
  return true;
}

}  // namespace

RefreshRecord load_refresh_record(const trust::Layout& layout) {
  RefreshRecord r;
  auto text = trust::read_source_file(record_path(layout), 64 << 10);
  if (!text) return r;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return r;
  r.last_attempt = number_field(j, "last_attempt");
  r.last_success = number_field(j, "last_success");
  r.failing_since = number_field(j, "failing_since");
  r.last_error = text_field(j, "last_error");
  r.not_installed = pending_from(j);
  return r;
}

void record_refresh(const trust::Layout& layout, bool ok, const std::string& error, int64_t now,
                    const std::optional<std::vector<PendingPolicy>>& not_installed) {
  RefreshRecord r = load_refresh_record(layout);
  std::vector<PendingPolicy> pending =
      not_installed ? carry_since(r.not_installed, *not_installed, now) : r.not_installed;
  // A quiet fleet writes nothing per refresh: the same outcome is written again only hourly.
  bool same_outcome = (ok ? r.failing_since == 0 && r.last_success != 0
                          : r.failing_since != 0 && r.last_error == error) &&
                      same_pending(r.not_installed, pending);
  // (A record from the future, written under a clock that was wrong, is always replaced.)
  if (same_outcome && now >= r.last_attempt && now - r.last_attempt < kRecordResolutionSeconds) {
    return;
  }
  r.last_attempt = now;
  r.not_installed = std::move(pending);
  if (ok) {
    r.last_success = now;
    r.failing_since = 0;
    r.last_error.clear();
  } else {
    if (r.failing_since == 0) r.failing_since = now;
    r.last_error = error;
  }
  nlohmann::json j = {{"last_attempt", r.last_attempt},
                      {"last_success", r.last_success},
                      {"failing_since", r.failing_since},
                      {"last_error", r.last_error},
                      {"not_installed", pending_json(r.not_installed)}};
  if (trust::make_directories(layout.state_dir)) {
    (void)trust::write_file_atomic(record_path(layout), json_text(j));
  }
}

std::string not_installed_summary(const std::vector<PendingPolicy>& list) {
  std::string out = std::to_string(list.size()) + " listed polic" +
                    (list.size() == 1 ? "y" : "ies") + " not installed: ";
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& p = list[i];
    out += (i ? "; " : "") + (p.guid.empty() ? std::string("an index entry") : p.guid) + " (" +
           p.reason + ")";
  }
  return out;
}

}  // namespace agent
