#include "trust/clock.h"

#include <time.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "trust/atomic_file.h"

namespace trust {

ClockReading read_clock() {
  ClockReading r;
  r.wall = std::time(nullptr);
  timespec ts{};
#ifdef CLOCK_BOOTTIME
  if (::clock_gettime(CLOCK_BOOTTIME, &ts) == 0) r.boot = ts.tv_sec;
  // A /proc file reports size 0, so it is read as a stream.
  std::ifstream id("/proc/sys/kernel/random/boot_id");
  std::getline(id, r.boot_id);
#else
  // No clock here counts suspend, so a wall clock that moved during sleep would look like a
  // jump: leave the boot identifier empty and compare only for backward jumps.
  if (::clock_gettime(CLOCK_MONOTONIC, &ts) == 0) r.boot = ts.tv_sec;
#endif
  return r;
}

namespace {

class SystemClock final : public Clock {
 public:
  ClockReading read() const override { return read_clock(); }
};

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::optional<int64_t> clock_jump(const ClockRecord& last, const ClockReading& now) {
  if (last.wall == 0) return std::nullopt;  // no earlier reading
  int64_t wall_moved = now.wall - last.wall;
  int64_t jump = wall_moved;  // across a reboot, real time elapsed is unknown but not negative
  if (!now.boot_id.empty() && now.boot_id == last.boot_id) {
    jump = wall_moved - (now.boot - last.boot);
  } else if (wall_moved >= 0) {
    return std::nullopt;
  }
  if (jump > kClockJumpToleranceSeconds || jump < -kClockJumpToleranceSeconds) return jump;
  return std::nullopt;
}

BootReference load_boot_reference(const std::string& path) {
  std::ifstream in(path);
  BootReference r;
  std::string id, offset;
  if (!std::getline(in, id, '\t') || !std::getline(in, offset)) return {};
  char* end = nullptr;
  long long value = std::strtoll(offset.c_str(), &end, 10);
  if (id.empty() || end == offset.c_str() || *end != '\0') return {};
  r.boot_id = id;
  r.offset = value;
  return r;
}

bool save_boot_reference(const std::string& path, const BootReference& reference) {
  if (reference.boot_id.find_first_of("\t\n") != std::string::npos) return false;
  return static_cast<bool>(
      write_file_atomic(path, reference.boot_id + "\t" + std::to_string(reference.offset) + "\n"));
}

std::optional<int64_t> drift_since_boot(const BootReference& reference, const ClockReading& now) {
  if (reference.boot_id.empty() || reference.boot_id != now.boot_id) return std::nullopt;
  int64_t drift = (now.wall - now.boot) - reference.offset;
  if (drift > kClockJumpToleranceSeconds || drift < -kClockJumpToleranceSeconds) return drift;
  return std::nullopt;
}

}  // namespace trust
