// When the daemon's next cycle runs. A fleet of endpoints must never arrive at its central server
// in lock-step: not on schedule, not when retrying through an outage, and not when the whole fleet
// restarts at once (a package upgrade, a power cut). Every delay therefore carries random jitter:
//
//   after a good cycle   IntervalSeconds + uniform(0, JitterSeconds)
//   after a failure      uniform(b/2, b) + uniform(0, JitterSeconds), b = 10 s doubling per
//                        consecutive failure, never more than IntervalSeconds
//   at a restart         uniform(0, JitterSeconds) before the first cycle; a first start (no
//                        cycle ever recorded) and `run --once` begin at once
#pragma once

#include <cstdint>
#include <random>

namespace agent {

struct Schedule {
  int64_t interval = 3600, jitter = 300;
};

int64_t delay_after_success(const Schedule& s, std::mt19937_64& random);
int64_t delay_after_failure(const Schedule& s, int consecutive_failures, std::mt19937_64& random);
int64_t delay_before_first_cycle(const Schedule& s, bool restarted, std::mt19937_64& random);

}  // namespace agent
