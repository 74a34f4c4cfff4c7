// How policy refreshes have been going, whoever ran them (the daemon or `policy refresh`):
// <home>/var/state/refresh-record.json holds the last attempt, the last success, since when
// refreshes have been failing, the last error, and the policies the index lists that are not
// installed. `status` turns it into warnings, so an endpoint that has stopped hearing from its
// central server, or hears the index but never the policy it lists, says so however it got there.
// A refresh is a success only when every policy the index lists is in force at the listed
// revision (or held back on purpose by `policy remove`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "trust/layout.h"

namespace agent {

// Refreshes failing for more than this many refresh intervals, or no success for that long,
// is a warning of its own: the endpoint is drifting away from its policy.
inline constexpr int64_t kRefreshIntervalsBeforeWarning = 3;
// The same outcome again is recorded at most this often (times are good to within it).
inline constexpr int64_t kRecordResolutionSeconds = 3600;

// A policy the index in force lists that this endpoint could not install: not downloaded (from any
// server), bytes not matching the index's hash, or refused on its content.
struct PendingPolicy {
  std::string guid;  // "" for an index entry refused before its guid could be read
  int64_t listed_revision = 0;
  std::optional<int64_t> in_force_revision;  // nullopt: none in force
  std::string reason;
  int64_t since = 0;  // first refresh that found it missing (kept while it stays missing)
  bool operator==(const PendingPolicy&) const = default;
};

struct RefreshRecord {
  int64_t last_attempt = 0, last_success = 0;
  int64_t failing_since = 0;  // 0 while the last attempt succeeded
  std::string last_error;
  std::vector<PendingPolicy> not_installed;
};

// A missing or damaged record reads as no refresh ever attempted.
RefreshRecord load_refresh_record(const trust::Layout& layout);

// Best effort: failing to record changes nothing else. `not_installed`: what this refresh's index
// listed and could not install (a non-empty list makes the refresh a failure); nullopt when the
// refresh did not get as far as an index, so the list recorded before still stands.
void record_refresh(const trust::Layout& layout, bool ok, const std::string& error, int64_t now,
                    const std::optional<std::vector<PendingPolicy>>& not_installed = std::nullopt);

// One line for a list of policies not installed: "2 listed policies not installed: a (why); b".
std::string not_installed_summary(const std::vector<PendingPolicy>& list);

}  // namespace agent
