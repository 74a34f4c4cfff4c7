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

}  // namespace trust
