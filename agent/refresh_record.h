// How policy refreshes have been going, whoever ran them (the daemon or `policy refresh`):
// <home>/var/state/refresh-record.json holds the last attempt, the last success, since when
// refreshes have been failing, and the last error. `status` turns it into warnings, so an
// endpoint that has stopped hearing from its central server says so however it got there.
#pragma once

#include <cstdint>
#include <string>

#include "trust/layout.h"

namespace agent {

// Refreshes failing for more than this many refresh intervals, or no success for that long,
// is a warning of its own: the endpoint is drifting away from its policy.
inline constexpr int64_t kRefreshIntervalsBeforeWarning = 3;
// The same outcome again is recorded at most this often (times are good to within it).
inline constexpr int64_t kRecordResolutionSeconds = 3600;

struct RefreshRecord {
  int64_t last_attempt = 0, last_success = 0;
  int64_t failing_since = 0;  // 0 while the last attempt succeeded
  std::string last_error;
};

// A missing or damaged record reads as no refresh ever attempted.
RefreshRecord load_refresh_record(const trust::Layout& layout);

// Best effort: failing to record changes nothing else.
void record_refresh(const trust::Layout& layout, bool ok, const std::string& error, int64_t now);

}  // namespace agent
