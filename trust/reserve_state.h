// What the agent knows about its reserve certificates beyond their bytes (which live in
// <home>/etc/cainfo-reserve.pem): when each activates, who asked for it, and which certificates it
// takes over from. Kept in <home>/var/state/reserves.state, written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/result.h"

namespace trust {

struct Reserve {
  std::string sha256;       // of the reserve's DER
  int64_t activate_at = 0;  // epoch seconds
  std::string origin;       // "cli", "file" (found in cainfo-reserve.pem) or a policy guid
  std::vector<std::string> replaces;  // pins (Pin::text) of the certificates it takes over from

  bool pending(int64_t now) const { return now < activate_at; }
  bool operator==(const Reserve&) const = default;
};

struct ReserveState {
  std::vector<Reserve> reserves;
  // When nothing has changed since the last maintenance (same inputs, `check_key`) and no date in
  // the managed sources has been reached (`next_event`), maintenance has nothing to do.
  std::string check_key;
  int64_t next_event = 0;
};

// A missing or damaged file reads as an empty state (maintenance rebuilds it from the files).
ReserveState load_reserve_state(const std::string& path);
Result<void> save_reserve_state(const std::string& path, const ReserveState& state);

}  // namespace trust
