// What `connect` and `fetch` check, decided from the policy and the flags: policy decides, a flag
// overrides it with a note, and authentication turned off is an alarm whoever turned it off.
#include "agent/connect_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agent {
namespace {

const std::string kPin = "sha256:" + std::string(64, 'a');

class ConnectRequestFor : public ::testing::Test {
 protected:
  trust::Result<ConnectRequest> decide(const ConnectFlags& flags,
                                       const std::string& configured = "") {
    testing::internal::CaptureStderr();
    auto r = connect_request_for(flags, policy_, configured, trust::Layout::at("/nonexistent"),
                                 Log::command_line());
    said_ = testing::internal::GetCapturedStderr();
    return r;
  }
  bool said(const std::string& text) const { return said_.find(text) != std::string::npos; }

  policy::Effective policy_;
  std::string said_;
};

TEST_F(ConnectRequestFor, VerificationIsOnAndSilentByDefault) {
  auto r = decide({"https://h.example:8443/", {}, false, false, 7});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->verify_peer);
  EXPECT_TRUE(r->verify_host);
  EXPECT_EQ(r->target, "https://h.example:8443/");
  EXPECT_EQ(r->timeout_seconds, 7);
  EXPECT_EQ(said_, "");
}

TEST_F(ConnectRequestFor, APolicyThatTurnsPeerVerificationOffIsAnAlarmNamingIt) {
  policy_.verify_peer = {false, "lax-1"};
  auto r = decide({"h.example", {}, false, false, 10});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->verify_peer);
  EXPECT_TRUE(said("trustagent: WARNING: peer verification is OFF (policy lax-1)")) << said_;
}

TEST_F(ConnectRequestFor, AFlagOverridingAPolicyIsNotedAndHostVerificationOffIsAnAlarm) {
  policy_.verify_host = {true, "strict-1"};
  auto r = decide({"h.example", {}, false, true, 10});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->verify_host);
  EXPECT_TRUE(said("note: --no-verify-host overrides policy strict-1")) << said_;
  EXPECT_TRUE(said("WARNING: host name verification is OFF (--no-verify-host)")) << said_;
}

TEST_F(ConnectRequestFor, ThePolicysPinsAreForTheAgentsOwnServerOnly) {
  policy_.pins = {{*trust::parse_pin(kPin)}, "pin-1"};
  policy_.server_url = {"https://central.example:8443", "pin-1"};
  auto own = decide({"", {}, false, false, 10});
  ASSERT_TRUE(own);
  EXPECT_EQ(own->target, "https://central.example:8443");
  EXPECT_EQ(own->pins.size(), 1u);
  auto same = decide({"central.example:8443", {}, false, false, 10});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->pins.size(), 1u);
  auto other = decide({"other.example", {}, false, false, 10});
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->pins.empty());
  EXPECT_TRUE(said("the pins of policy pin-1 are for the agent's own server")) << said_;
}

TEST_F(ConnectRequestFor, TheConfiguredServerComesBeforeThePolicysAndTakesItsPins) {
  policy_.pins = {{*trust::parse_pin(kPin)}, "pin-1"};
  policy_.server_url = {"https://central.example", "pin-1"};
  auto r = decide({"", {}, false, false, 10}, "own.example:9443");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target, "own.example:9443");
  EXPECT_EQ(r->pins.size(), 1u);
}

TEST_F(ConnectRequestFor, APinOnTheCommandLineReplacesThePolicysAndABadOneIsRefused) {
  policy_.pins = {{*trust::parse_pin(kPin)}, "pin-1"};
  auto r = decide({"h.example", {"sha256:" + std::string(64, 'b')}, false, false, 10});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->pins.size(), 1u);
  EXPECT_NE(r->pins[0].text(), kPin);
  EXPECT_TRUE(said("note: --pin overrides policy pin-1")) << said_;
  auto bad = decide({"h.example", {"not-a-pin"}, false, false, 10});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, trust::Code::kBadInput);
}

}  // namespace
}  // namespace agent
