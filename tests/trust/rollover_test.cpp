// Rollover maintenance with the time set by the test: every step (activation, retirement, pruning,
// the clock-jump pause) is driven by the ClockReading passed in, never by the machine's clock.
#include "trust/rollover.h"

#include <gtest/gtest.h>

#include <ctime>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/reserve_state.h"
#include "trust/source_reader.h"
#include "trust/thresholds.h"

namespace trust {
namespace {

using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class Rollover : public ::testing::Test {
 protected:
  // A reading `days` after the start, in the same boot: time passing, not the clock being set.
  ClockReading at(double days) const {
    auto offset = static_cast<int64_t>(days * kDay);
    return {start_ + offset, 1000 + offset, "boot-1"};
  }
  Result<RolloverReport> maintain(const ClockReading& clock) {
    return maintain_rollover(layout_, inputs_, clock);
  }
  std::vector<std::string> ders_in(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& c : read_certificates(read_file(path)).certs) out.push_back(c.der);
    return out;
  }
  void offer(const Issued& reserve, std::optional<int64_t> activate_at = std::nullopt,
             const std::string& origin = "policy-1") {
    inputs_.offers.push_back({reserve.der(), activate_at, origin, {}});
  }
  void seen(const Issued& cert, double first_day, double last_day) {
    std::erase_if(inputs_.seen, [&](const SeenInUse& s) { return s.sha256 == cert.sha256(); });
    inputs_.seen.push_back({cert.sha256(), start_ + static_cast<int64_t>(first_day * kDay),
                            start_ + static_cast<int64_t>(last_day * kDay)});
  }
  bool in(const std::string& path, const Issued& cert) {
    auto ders = ders_in(path);
    return std::find(ders.begin(), ders.end(), cert.der()) != ders.end();
  }

  TempHome home_;
  Layout layout_ = Layout::at(home_.path());
  RolloverInputs inputs_;
  int64_t start_ = static_cast<int64_t>(std::time(nullptr));
  // A server certificate and its renewal: same names, the renewal outlives it.
  Issued old_ = make_cert({.common_name = "server", .not_after_days = 30, .dns_names = {"s.test"}});
  Issued next_ =
      make_cert({.common_name = "server", .not_after_days = 400, .dns_names = {"s.test"}});
};

TEST_F(Rollover, AnOfferedReserveIsAnAnchorAtOnceAndActivatesAtItsTime) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, start_ + 10 * kDay);
  auto r = maintain(at(0));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(in(layout_.cainfo_reserve, next_));
  ASSERT_EQ(r->reserves.size(), 1u);
  EXPECT_EQ(r->reserves[0].arrived_at, start_);
  EXPECT_EQ(r->reserves[0].activate_at, start_ + 10 * kDay);
  EXPECT_EQ(role_of(next_.sha256(), r->reserves, at(9).wall), "reserve");
  EXPECT_EQ(role_of(next_.sha256(), r->reserves, at(10).wall), "current");
  // Activation changes a role, never what is trusted.
  auto later = maintain(at(11));
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_TRUE(in(layout_.cainfo, old_));
  EXPECT_TRUE(in(layout_.cainfo_reserve, next_));
}

TEST_F(Rollover, WithoutAnActivationTimeAReserveActivatesWhenWhatItReplacesExpires) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_);
  auto r = maintain(at(0));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->reserves.size(), 1u);
  EXPECT_EQ(r->reserves[0].activate_at, r->reserves[0].replaced_until);
  EXPECT_NEAR(static_cast<double>(r->reserves[0].activate_at - start_), 30.0 * kDay, 2.0 * kDay);
}

TEST_F(Rollover, TwoPoliciesOfferingReservesInOneRunAreBothRecorded) {
  Issued other = make_cert({.common_name = "other", .dns_names = {"o.test"}});
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, std::nullopt, "policy-a");
  offer(other, std::nullopt, "policy-b");
  auto r = maintain(at(0));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->reserves.size(), 2u);
  EXPECT_EQ(r->reserves[0].origin.text(), "policy-a");
  EXPECT_EQ(r->reserves[1].origin.text(), "policy-b");
  EXPECT_EQ(load_reserve_state(layout_.reserve_state).reserves, r->reserves);
}

TEST_F(Rollover, TheReplacedServerCertificateRetiresAGracePeriodAfterItsLastSighting) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, start_);
  ASSERT_TRUE(maintain(at(0)));
  seen(old_, 0, 1);  // the server still presented the old one on day 1
  seen(next_, 2, 2);
  auto before = maintain(at(2));
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->reserves[0].seen_at, start_ + 2 * kDay);
  // Day 8.5: seven days after the reserve's first sighting, but not after the old one's last.
  seen(next_, 2, 8.5);
  ASSERT_TRUE(maintain(at(8.5)));
  EXPECT_TRUE(in(layout_.cainfo, old_));
  seen(next_, 2, 9.5);
  auto after = maintain(at(9.5));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(in(layout_.cainfo, old_));
  EXPECT_TRUE(in(layout_.retired, old_));
  EXPECT_NE(after->reserves[0].retired_at, 0);
}

TEST_F(Rollover, NothingRetiresWhileAnOwnServerStillPresentsTheOldCertificate) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, start_);
  ASSERT_TRUE(maintain(at(0)));
  seen(next_, 1, 20);
  inputs_.presented_by_own_servers = {old_.sha256()};
  ASSERT_TRUE(maintain(at(20)));
  EXPECT_TRUE(in(layout_.cainfo, old_));
  inputs_.presented_by_own_servers.clear();
  ASSERT_TRUE(maintain(at(21)));
  EXPECT_FALSE(in(layout_.cainfo, old_));
}

TEST_F(Rollover, AReplacedCaWithoutServerNamesNeverRetiresOnSightings) {
  Issued ca = make_cert({.common_name = "Corp CA", .is_ca = true, .not_after_days = 30});
  Issued next_ca = make_cert({.common_name = "Corp CA", .is_ca = true, .not_after_days = 900});
  home_.write(layout_.cainfo, ca.pem());
  offer(next_ca, start_);
  ASSERT_TRUE(maintain(at(0)));
  seen(next_ca, 1, 25);
  auto r = maintain(at(25));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(in(layout_.cainfo, ca));
  EXPECT_EQ(r->reserves[0].retired_at, 0);
}

TEST_F(Rollover, AnExpiredCertificateLeavesOnlyAfterTheGraceOnceItsSuccessorIsInUse) {
  home_.write(layout_.cainfo, old_.pem() + next_.pem());
  // Day 31: old_ has expired, but nothing showed its successor in use.
  ASSERT_TRUE(maintain(at(31)));
  EXPECT_TRUE(in(layout_.cainfo, old_));
  seen(next_, 31, 31);
  ASSERT_TRUE(maintain(at(32)));  // expired, but within the grace period
  EXPECT_TRUE(in(layout_.cainfo, old_));
  auto r = maintain(at(38));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(in(layout_.cainfo, old_));
  EXPECT_TRUE(in(layout_.retired, old_));
  EXPECT_TRUE(in(layout_.cainfo, next_));
}

TEST_F(Rollover, AClockSetForwardPausesRetirementAndPruning) {
  home_.write(layout_.cainfo, old_.pem() + next_.pem());
  ASSERT_TRUE(maintain(at(0)));
  seen(next_, 0, 0);
  // The wall clock says 40 days later, the boot clock one minute: someone set the clock.
  ClockReading jumped{start_ + 40 * kDay, 1060, "boot-1"};
  auto r = maintain(jumped);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->paused);
  EXPECT_EQ(r->clock.jump_at, jumped.wall);
  EXPECT_TRUE(in(layout_.cainfo, old_));
  // The pause ends; time really passed since (both clocks moved together).
  int64_t resume = clock_pause_ends(r->clock);
  ClockReading later{resume + 60, 1060 + (resume + 60 - jumped.wall), "boot-1"};
  auto after = maintain(later);
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_FALSE(after->paused);
  EXPECT_FALSE(in(layout_.cainfo, old_));
}

// 23 hours forward before every run is under the one-day tolerance run against run, but it adds
// up: drift is measured against the boot's first reading.
TEST_F(Rollover, AClockMovedForwardALittleAtEveryRunAddsUpToAJump) {
  home_.write(layout_.cainfo, old_.pem() + next_.pem());
  ASSERT_TRUE(maintain(at(0)));
  seen(next_, 0, 0);
  int64_t hours = 0;
  bool paused = false;
  for (int run = 1; run <= 3 && !paused; ++run) {
    hours += 23;
    ClockReading crept = at(run * 0.01);
    crept.wall += hours * 3600;
    auto r = maintain(crept);
    ASSERT_TRUE(r) << r.error().message;
    paused = r->paused;
  }
  EXPECT_TRUE(paused) << "a clock 69 hours fast after three runs was never taken for a jump";
  EXPECT_TRUE(in(layout_.cainfo, old_));
}

// The clock runs 40 days fast and nothing notices (a new boot with it already wrong): an expired
// certificate that the agent's own server still presents is not pruned.
TEST_F(Rollover, PruningSparesACertificateAnOwnServerStillPresents) {
  home_.write(layout_.cainfo, old_.pem() + next_.pem());
  seen(next_, 31, 31);
  inputs_.presented_by_own_servers.push_back(old_.sha256());
  ClockReading fast{start_ + 40 * kDay, 10, "boot-2"};
  auto r = maintain(fast);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(in(layout_.cainfo, old_));
  inputs_.presented_by_own_servers.clear();
  ASSERT_TRUE(maintain({start_ + 40 * kDay + 60, 70, "boot-2"}));
  EXPECT_FALSE(in(layout_.cainfo, old_));
}

// A successor seen for the first time just now does not prune at once: the grace runs from then.
TEST_F(Rollover, PruningWaitsAGracePeriodAfterTheSuccessorWasFirstSeen) {
  home_.write(layout_.cainfo, old_.pem() + next_.pem());
  seen(next_, 45, 45);
  ASSERT_TRUE(maintain(at(45)));
  EXPECT_TRUE(in(layout_.cainfo, old_));
  ASSERT_TRUE(maintain(at(51)));
  EXPECT_TRUE(in(layout_.cainfo, old_));
  ASSERT_TRUE(maintain(at(52.1)));
  EXPECT_FALSE(in(layout_.cainfo, old_));
}

TEST_F(Rollover, NothingChangedMeansNothingRuns) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, start_ + 5 * kDay);
  auto first = maintain(at(0));
  ASSERT_TRUE(first && first->ran);
  auto second = maintain(at(0.5));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->ran);
  EXPECT_EQ(second->reserves, first->reserves);
  auto activation = maintain(at(5.5));  // a date was reached
  ASSERT_TRUE(activation) << activation.error().message;
  EXPECT_TRUE(activation->ran);
}

TEST_F(Rollover, AReserveItsPolicyNoLongerPublishesIsWithdrawnUnlessAPolicyWasUnreadable) {
  home_.write(layout_.cainfo, old_.pem());
  offer(next_, start_ + 5 * kDay);
  ASSERT_TRUE(maintain(at(0)));
  inputs_.offers.clear();
  inputs_.policies_complete = false;
  ASSERT_TRUE(maintain(at(1)));
  EXPECT_TRUE(in(layout_.cainfo_reserve, next_));
  inputs_.policies_complete = true;
  auto r = maintain(at(1));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(in(layout_.cainfo_reserve, next_));
  EXPECT_TRUE(r->reserves.empty());
}

// A policy's guid is any GUID-like word, "cli" and "file" included: its reserves are still the
// policy's, withdrawn when it stops publishing them, never taken for one a person added.
TEST_F(Rollover, APolicyWhoseGuidSpellsAnotherOriginStillWithdrawsItsReserve) {
  for (const char* guid : {"cli", "file"}) {
    TempHome home;
    Layout layout = Layout::at(home.path());
    home.write(layout.cainfo, old_.pem());
    inputs_.offers.clear();
    offer(next_, start_ + 5 * kDay, guid);
    auto offered = maintain_rollover(layout, inputs_, at(0), nullptr);
    ASSERT_TRUE(offered) << offered.error().message;
    ASSERT_EQ(offered->reserves.size(), 1u);
    EXPECT_EQ(offered->reserves[0].origin.text(), guid);
    EXPECT_TRUE(offered->reserves[0].origin.is_policy(guid));
    inputs_.offers.clear();
    auto withdrawn = maintain_rollover(layout, inputs_, at(1), nullptr);
    ASSERT_TRUE(withdrawn) << withdrawn.error().message;
    EXPECT_TRUE(withdrawn->reserves.empty()) << guid;
    EXPECT_FALSE(in(layout.cainfo_reserve, next_)) << guid;
  }
}

TEST(ReserveOrigin, IsRecordedWithItsKindAndReadsTheFormatBefore) {
  EXPECT_EQ(ReserveOrigin::policy("cli").record(), "policy:cli");
  EXPECT_EQ(ReserveOrigin::from_record("policy:cli"), ReserveOrigin::policy("cli"));
  EXPECT_EQ(ReserveOrigin::from_record("cli"), ReserveOrigin::command_line());
  EXPECT_EQ(ReserveOrigin::from_record("file"), ReserveOrigin::found_in_file());
  EXPECT_EQ(ReserveOrigin::from_record("corp-7"), ReserveOrigin::policy("corp-7"));  // 0.6.0
  EXPECT_EQ(ReserveOrigin::policy("corp-7").text(), "corp-7");
  // Recorded as 0.6.0 recorded it, so that going back to 0.6.0 does not withdraw the policy's
  // reserves (it would compare "policy:corp-7" with the guid its policy offers).
  EXPECT_EQ(ReserveOrigin::policy("corp-7").record(), "corp-7");
  EXPECT_EQ(ReserveOrigin::policy("file").record(), "policy:file");
}

}  // namespace
}  // namespace trust
