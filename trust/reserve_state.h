// What the agent knows about its reserve certificates beyond their bytes (which live in
// <home>/etc/cainfo-reserve.pem): when each arrived and activates, who asked for it, which
// certificates it takes over from, and when a server was first seen presenting it. Kept in
// <home>/var/state/reserves.state, written atomically, with the clock reading of the last
// maintenance (so that a jump of the wall clock can be noticed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trust/result.h"

namespace trust {

// Who asked for a reserve: a person (`reserve add`), nobody (found in cainfo-reserve.pem), or a
// policy, which withdraws it by no longer publishing it. A policy's guid may be any GUID-like word,
// "cli" included, so the kind is never read from the guid. Shown as "cli", "file" or the guid;
// recorded the same way, except a policy whose guid is "cli" or "file", recorded "policy:<guid>".
// A bare guid reads as a policy's, so files of earlier versions read the same, and an earlier
// version reads these (a downgrade keeps the policies' reserves).
struct ReserveOrigin {
  enum class Kind { kCommandLine, kFoundInFile, kPolicy };
  Kind kind = Kind::kFoundInFile;
  std::string guid;  // kPolicy only

  static ReserveOrigin command_line() { return {Kind::kCommandLine, ""}; }
  static ReserveOrigin found_in_file() { return {Kind::kFoundInFile, ""}; }
  static ReserveOrigin policy(std::string guid) { return {Kind::kPolicy, std::move(guid)}; }
  bool is_policy(const std::string& g) const { return kind == Kind::kPolicy && guid == g; }
  std::string text() const;
  std::string record() const;
  static ReserveOrigin from_record(const std::string& field);
  bool operator==(const ReserveOrigin&) const = default;
};

struct Reserve {
  std::string sha256;       // of the reserve's DER
  int64_t activate_at = 0;  // epoch seconds
  ReserveOrigin origin;
  std::vector<std::string> replaces;  // pins (Pin::text) of the certificates it takes over from
  int64_t arrived_at = 0;      // when this endpoint first held it; 0 when unknown (before 0.3.0)
  int64_t seen_at = 0;         // when a server was first seen presenting it; 0: not yet
  int64_t replaced_until = 0;  // the last notAfter among the certificates it replaces; 0: none
  int64_t retired_at = 0;      // when the certificates it replaces left the store; 0: not yet

  bool pending(int64_t now) const { return now < activate_at; }
  bool operator==(const Reserve&) const = default;
};

// The wall clock and the time since boot at the last maintenance. Within one boot both advance
// together (suspend included), so a difference between them is the wall clock being set.
struct ClockRecord {
  int64_t wall = 0, boot = 0;
  std::string boot_id;       // "" where the system has none: then only a backward jump shows
  int64_t jump_at = 0;       // when a jump was last noticed (wall clock after it); 0: never
  int64_t jump_seconds = 0;  // by how much (negative: backward)
};

struct ReserveState {
  std::vector<Reserve> reserves;
  // When nothing has changed since the last maintenance (same inputs, `check_key`) and no date in
  // the managed sources has been reached (`next_event`), maintenance has nothing to do.
  std::string check_key;
  int64_t next_event = 0;
  // Certificates whose first sighting in use would change something (a reserve not yet seen, the
  // successor of an expired certificate): only these sightings are part of `check_key`.
  std::vector<std::string> watched;
  ClockRecord clock;
};

// A missing or damaged file reads as an empty state (maintenance rebuilds it from the files).
// Files written by 0.2.0 (format 1) are read, with the fields they lack as unknown.
ReserveState load_reserve_state(const std::string& path);
Result<void> save_reserve_state(const std::string& path, const ReserveState& state);

}  // namespace trust
