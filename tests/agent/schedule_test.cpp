// The daemon's schedule spreads a fleet: 200 endpoints restarted together, or retrying through
// the same outage, reach the central server over the jitter window, never in one second
// (issue 13, item 10).
#include "agent/schedule.h"

#include <gtest/gtest.h>

#include <map>

namespace {

constexpr int kFleet = 200;

// The largest number of endpoints that land in one second.
int busiest_second(const std::vector<int64_t>& delays) {
  std::map<int64_t, int> per_second;
  int most = 0;
  for (int64_t d : delays) most = std::max(most, ++per_second[d]);
  return most;
}

TEST(Schedule, AFleetRestartedTogetherSpreadsItsFirstCycleOverTheJitter) {
  agent::Schedule s{3600, 300};
  std::mt19937_64 random(1);
  std::vector<int64_t> delays;
  for (int i = 0; i < kFleet; ++i) {
    std::mt19937_64 endpoint(random());  // each endpoint seeds its own generator
    int64_t d = agent::delay_before_first_cycle(s, true, endpoint);
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 300);
    delays.push_back(d);
  }
  EXPECT_LE(busiest_second(delays), 6) << "200 endpoints over 301 seconds";
  // A first install begins at once.
  EXPECT_EQ(agent::delay_before_first_cycle(s, false, random), 0);
}

TEST(Schedule, RetriesThroughAnOutageAreSpreadAndBoundedByTheInterval) {
  agent::Schedule s{3600, 300};
  std::mt19937_64 random(2);
  for (int failures = 1; failures <= 12; ++failures) {
    int64_t backoff = std::min<int64_t>(3600, int64_t{10} << (failures - 1));
    std::vector<int64_t> delays;
    for (int i = 0; i < kFleet; ++i) {
      int64_t d = agent::delay_after_failure(s, failures, random);
      ASSERT_GE(d, backoff / 2) << failures;
      ASSERT_LE(d, backoff + 300) << failures;
      delays.push_back(d);
    }
    // Before: every endpoint retried at exactly the same second.
    EXPECT_LE(busiest_second(delays), 8) << "after " << failures << " failures";
  }
}

TEST(Schedule, ATinyIntervalIsNeverExceededByTheBackoffAndNoJitterMeansNone) {
  agent::Schedule s{2, 0};
  std::mt19937_64 random(3);
  for (int failures = 1; failures < 40; ++failures) {
    int64_t d = agent::delay_after_failure(s, failures, random);
    EXPECT_GE(d, 1);
    EXPECT_LE(d, 2);
  }
  EXPECT_EQ(agent::delay_after_success(s, random), 2);
  EXPECT_EQ(agent::delay_before_first_cycle(s, true, random), 0);
}

}  // namespace

namespace {

using Clock = agent::FullRefresh::Clock;

// The whole index is fetched at start, after SIGHUP, and once a day; a failed whole fetch is
// tried again at the next cycle rather than a day later.
TEST(FullRefresh, AtStartAfterSighupAndOnceADay) {
  Clock::time_point t0{};
  agent::FullRefresh full(t0);
  EXPECT_TRUE(full.due(t0));
  full.cycle_ended(true, false, t0 + std::chrono::seconds(1));  // the first one failed
  EXPECT_TRUE(full.due(t0 + std::chrono::seconds(10)));
  full.cycle_ended(true, true, t0 + std::chrono::seconds(20));
  EXPECT_FALSE(full.due(t0 + std::chrono::hours(1)));
  full.cycle_ended(false, true, t0 + std::chrono::hours(2));  // conditional cycles change nothing
  EXPECT_FALSE(full.due(t0 + std::chrono::hours(23)));
  EXPECT_TRUE(full.due(t0 + std::chrono::seconds(20) + agent::FullRefresh::kEvery));
  full.ask();  // SIGHUP
  EXPECT_TRUE(full.due(t0 + std::chrono::hours(3)));
  full.cycle_ended(true, true, t0 + std::chrono::hours(3));
  EXPECT_FALSE(full.due(t0 + std::chrono::hours(4)));
}

}  // namespace
