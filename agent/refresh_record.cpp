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
  if (auto it = j.find("last_error"); it != j.end() && it->is_string()) {
    r.last_error = it->get<std::string>();
  }
  return r;
}

void record_refresh(const trust::Layout& layout, bool ok, const std::string& error, int64_t now) {
  RefreshRecord r = load_refresh_record(layout);
  // A quiet fleet writes nothing per refresh: the same outcome is written again only hourly.
  bool same_outcome = ok ? r.failing_since == 0 && r.last_success != 0
                         : r.failing_since != 0 && r.last_error == error;
  // (A record from the future, written under a clock that was wrong, is always replaced.)
  if (same_outcome && now >= r.last_attempt && now - r.last_attempt < kRecordResolutionSeconds) {
    return;
  }
  r.last_attempt = now;
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
                      {"last_error", r.last_error}};
  if (trust::make_directories(layout.state_dir)) {
    (void)trust::write_file_atomic(record_path(layout), json_text(j));
  }
}

}  // namespace agent
