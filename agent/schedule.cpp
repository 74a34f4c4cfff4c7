#include "agent/schedule.h"

#include <algorithm>

namespace agent {
namespace {

int64_t uniform(int64_t low, int64_t high, std::mt19937_64& random) {
  if (high <= low) return low;
  return std::uniform_int_distribution<int64_t>(low, high)(random);
}

}  // namespace

int64_t delay_after_success(const Schedule& s, std::mt19937_64& random) {
  return s.interval + uniform(0, s.jitter, random);
}

int64_t delay_after_failure(const Schedule& s, int consecutive_failures, std::mt19937_64& random) {
  int64_t backoff = int64_t{10} << std::clamp(consecutive_failures - 1, 0, 16);
  backoff = std::min(s.interval, backoff);
  return uniform(backoff / 2, backoff, random) + uniform(0, s.jitter, random);
}

int64_t delay_before_first_cycle(const Schedule& s, bool restarted, std::mt19937_64& random) {
  return restarted ? uniform(0, s.jitter, random) : 0;
}

}  // namespace agent
