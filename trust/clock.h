// The wall clock, read together with the time since boot, so that maintenance can tell the clock
// being set (by an administrator, a bad NTP source, a dead RTC battery) from time passing. Pruning
// and retirement are driven by dates, and a clock a month fast must not delete a certificate the
// server still presents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "trust/reserve_state.h"

namespace trust {

inline constexpr int64_t kClockJumpToleranceSeconds = 86400;

struct ClockReading {
  int64_t wall = 0;     // epoch seconds
  int64_t boot = 0;     // seconds since boot, suspend included (CLOCK_BOOTTIME where there is one)
  std::string boot_id;  // "" where the system has no boot identifier
};

ClockReading read_clock();

// Where everything above trust/ reads the time: the system's clocks from `main` and the daemon
// down, a set reading in tests, so that rollover, warnings and status can be tried at any date
// without faking it through the files.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual ClockReading read() const = 0;
  int64_t now() const { return read().wall; }
};

const Clock& system_clock();  // read_clock()

// A reading that moves only when set: for tests and for replaying a day.
class SetClock final : public Clock {
 public:
  explicit SetClock(ClockReading reading) : reading_(std::move(reading)) {}
  ClockReading read() const override { return reading_; }
  void set(ClockReading reading) { reading_ = std::move(reading); }

 private:
  ClockReading reading_;
};

// By how many seconds the wall clock moved more (or less) than real time since `last`, when that
// is more than a day; nothing otherwise. Across a reboot only a backward jump can be seen.
std::optional<int64_t> clock_jump(const ClockRecord& last, const ClockReading& now);

// The wall clock minus the boot clock at the first reading of a boot (or at the last jump noticed
// in it). Within one boot that difference only moves when the clock is set, so drift is measured
// against this reference and not run against run: a clock set 23 hours forward before every run
// adds up to a jump at the second run instead of never being one. Kept in var/state/clock.state,
// apart from reserves.state, whose readers before 0.8.0 refuse a line they do not know.
struct BootReference {
  std::string boot_id;  // "" : none (no boot identifier on this system, or never recorded)
  int64_t offset = 0;
  bool operator==(const BootReference&) const = default;
};

BootReference load_boot_reference(const std::string& path);  // missing or damaged: none
bool save_boot_reference(const std::string& path, const BootReference& reference);

// The jump since the reference, when `now` is in the reference's boot and it is beyond the
// tolerance; nothing otherwise.
std::optional<int64_t> drift_since_boot(const BootReference& reference, const ClockReading& now);

}  // namespace trust
