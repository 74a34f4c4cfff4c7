// Acknowledgements decided in-process: what they turn into information, and what they never do.
#include "agent/acknowledgements.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_home.h"

namespace agent {
namespace {

const std::string kOld(64, 'a'), kPresented(64, 'b');

std::vector<trust::AnchorWarning> two_expired() {
  return {{"anchor_expired", kOld, "expired", false},
          {"anchor_expired", kPresented, "expired", false}};
}

TEST(Acknowledgements, TurnTheAcknowledgedWarningIntoInformation) {
  auto warnings = two_expired();
  apply_acknowledgements({{"anchor_expired", kOld}}, warnings);
  EXPECT_TRUE(warnings[0].information);
  EXPECT_NE(warnings[0].message.find("acknowledged"), std::string::npos);
  EXPECT_FALSE(warnings[1].information);
}

TEST(Acknowledgements, NeverSilenceACertificateAnOwnServerWasLastSeenPresenting) {
  auto warnings = two_expired();
  apply_acknowledgements({{"anchor_expired", kOld}, {"anchor_expired", kPresented}}, warnings,
                         {kPresented});
  EXPECT_TRUE(warnings[0].information);
  EXPECT_FALSE(warnings[1].information);
  EXPECT_NE(warnings[1].message.find("the acknowledgement does not hold"), std::string::npos);
}

TEST(Acknowledgements, RefuseCodesThatMeanARefusalOrAFailure) {
  testing_support::TempHome home;
  auto layout = trust::Layout::at(home.path());
  for (const char* code : {"server_certificate_expired", "server_not_switched",
                           "policy_not_installed", "verification_off", "store_empty"}) {
    auto r = acknowledge(layout, {code, kOld});
    ASSERT_FALSE(r) << code;
    EXPECT_EQ(r.error().code, trust::Code::kBadInput);
  }
  ASSERT_TRUE(acknowledge(layout, {"weak_key", kOld}));
  EXPECT_EQ(load_acknowledgements(layout), (std::vector<Acknowledgement>{{"weak_key", kOld}}));
}

}  // namespace
}  // namespace agent
