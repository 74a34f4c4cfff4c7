// The time comes from the clock passed in (StoreRequest::clock), never from the machine: the same
// home, synced at set dates, activates a reserve and warns about an expiry as it would over forty
// days.
#include "agent/store_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>

#include "agent/status.h"
#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/rollover.h"
#include "trust/thresholds.h"

namespace agent {
namespace {

using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class StoreSync : public ::testing::Test {
 protected:
  // `days` after the start, in the same boot: time passing, not the clock being set.
  trust::ClockReading at(double days) const {
    auto offset = static_cast<int64_t>(days * trust::kDay);
    return {start_ + offset, 5000 + offset, "boot-1"};
  }
  trust::Result<StoreOutcome> sync_at(double days) {
    clock_.set(at(days));
    StoreRequest request;
    request.home = home_.path();
    request.clock = &clock_;
    return sync_store(request);
  }
  std::vector<std::string> warning_codes(const StoreOutcome& synced, const std::string& sha256) {
    auto status = collect_status(layout_, synced, std::nullopt, "");
    std::vector<std::string> out;
    if (!status) return {"error: " + status.error().message};
    for (const auto& w : status->warnings) {
      if (w.sha256 == sha256) out.push_back(w.code);
    }
    return out;
  }

  TempHome home_;
  trust::Layout layout_ = trust::Layout::at(home_.path());
  int64_t start_ = static_cast<int64_t>(std::time(nullptr));
  trust::SetClock clock_{at(0)};
  Issued old_ = make_cert({.common_name = "ns", .not_after_days = 30, .dns_names = {"ns.test"}});
  Issued next_ = make_cert({.common_name = "ns", .not_after_days = 400, .dns_names = {"ns.test"}});
};

TEST_F(StoreSync, TheClockPassedInDecidesRolesAndWarnings) {
  home_.write(layout_.cainfo, old_.pem());
  ASSERT_TRUE(trust::add_reserves(layout_, {next_.der()}, start_ + 10 * trust::kDay,
                                  trust::ReserveOrigin::command_line(), start_));

  auto day5 = sync_at(5);
  ASSERT_TRUE(day5) << day5.error().message;
  EXPECT_EQ(day5->now, start_ + 5 * trust::kDay);
  EXPECT_EQ(trust::role_of(next_.sha256(), day5->rollover.reserves, day5->now), "reserve");

  auto day11 = sync_at(11);
  ASSERT_TRUE(day11) << day11.error().message;
  EXPECT_EQ(trust::role_of(next_.sha256(), day11->rollover.reserves, day11->now), "current");
  EXPECT_TRUE(warning_codes(*day11, old_.sha256()).empty());  // a successor is in place

  // Day 40: the old certificate has expired, and nothing has shown its successor in use yet.
  auto day40 = sync_at(40);
  ASSERT_TRUE(day40) << day40.error().message;
  auto codes = warning_codes(*day40, old_.sha256());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "anchor_expired"), codes.end());
  EXPECT_NE(read_file(layout_.merged).find(old_.pem()), std::string::npos);
}

}  // namespace
}  // namespace agent
