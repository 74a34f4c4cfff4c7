// Decisions that used to live in the command-line layer, now callable on their own: the readiness
// query a person types, and whether pin checks let a policy index be published.
#include <gtest/gtest.h>

#include <string>

#include "agent/publish_check.h"
#include "agent/readiness.h"

namespace agent {
namespace {

const std::string kSha = std::string(64, 'c');

TEST(ReadinessQuery, NeedsAPolicyOrAReserveAndReadsEachOption) {
  EXPECT_FALSE(readiness_query("", "", ""));
  auto q = readiness_query("corp-1@7", "SHA256:" + kSha, "2027-01-10T00:00:00Z");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->policy_guid, "corp-1");
  EXPECT_EQ(q->policy_revision, 7);
  EXPECT_EQ(q->reserve_sha256, kSha);
  ASSERT_TRUE(q->since);
  EXPECT_EQ(*q->since, 1799539200);
}

TEST(ReadinessQuery, EachMalformedOptionIsNamed) {
  for (auto [policy, reserve, since, named] :
       {std::tuple{"corp-1", "", "", "--policy 'corp-1'"},
        {"@3", "", "", "--policy '@3'"},
        {"corp@x", "", "", "--policy 'corp@x'"},
        {"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", "--reserve"},
        {"corp@1", "", "yesterday", "--since 'yesterday'"}}) {
    auto q = readiness_query(policy, reserve, since);
    ASSERT_FALSE(q) << policy << reserve << since;
    EXPECT_EQ(q.error().code, trust::Code::kBadInput);
    EXPECT_NE(q.error().message.find(named), std::string::npos) << q.error().message;
  }
}

PinCheck check(PinCheck::Outcome outcome, const std::string& message) {
  return {"g", "s", outcome, message};
}

TEST(PublishingAllowed, APolicyThatWouldLockEndpointsOutBlocksUnlessForced) {
  using O = PinCheck::Outcome;
  std::vector<PinCheck> fine = {check(O::kMatches, "ok"), check(O::kNoServer, "no server")};
  std::vector<PinCheck> bad = {check(O::kMatches, "ok"), check(O::kLocksOut, "locks out")};
  testing::internal::CaptureStderr();
  EXPECT_TRUE(publishing_allowed(fine, false, Log::command_line()));
  EXPECT_FALSE(publishing_allowed(bad, false, Log::command_line()));
  EXPECT_FALSE(
      publishing_allowed({check(O::kUnreachable, "unreachable")}, false, Log::command_line()));
  EXPECT_TRUE(publishing_allowed(bad, true, Log::command_line()));
  std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("trustagent: note: ok"), std::string::npos) << said;
  EXPECT_NE(said.find("trustagent: error: locks out"), std::string::npos) << said;
  EXPECT_NE(said.find("trustagent: WARNING: --force: locks out"), std::string::npos) << said;
}

}  // namespace
}  // namespace agent
