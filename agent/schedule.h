// When the daemon's next cycle runs. A fleet of endpoints must never arrive at its central server
// in lock-step: not on schedule, not when retrying through an outage, and not when the whole fleet
// restarts at once (a package upgrade, a power cut). Every delay therefore carries random jitter:
//
//   after a good cycle   IntervalSeconds + uniform(0, JitterSeconds)
//   after a failure      uniform(b/2, b) + uniform(0, JitterSeconds), b = 10 s doubling per
//                        consecutive failure, never more than IntervalSeconds
//   at a restart         uniform(0, JitterSeconds) before the first cycle; a first start (no
//                        cycle ever recorded) and `run --once` begin at once
//
// Which cycles fetch the whole index instead of a conditional GET (FullRefresh): the first, the
// one after SIGHUP, and the first after a day without a whole fetch that succeeded, so that a
// republish the server's ETag cannot show is still seen.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace agent {

class FullRefresh {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kEvery = std::chrono::hours(24);

  explicit FullRefresh(Clock::time_point now) : last_full_(now) {}

  void ask() { asked_ = true; }  // start, SIGHUP
  bool due(Clock::time_point now) const { return asked_ || now - last_full_ >= kEvery; }
  // After a cycle that fetched whole (`full`): only a success counts; a failure asks again.
  void cycle_ended(bool full, bool ok, Clock::time_point now) {
    if (!full || !ok) return;
    asked_ = false;
    last_full_ = now;
  }

 private:
  Clock::time_point last_full_;
  bool asked_ = true;
};

struct Schedule {
  int64_t interval = 3600, jitter = 300;
};

int64_t delay_after_success(const Schedule& s, std::mt19937_64& random);
int64_t delay_after_failure(const Schedule& s, int consecutive_failures, std::mt19937_64& random);
int64_t delay_before_first_cycle(const Schedule& s, bool restarted, std::mt19937_64& random);

}  // namespace agent
