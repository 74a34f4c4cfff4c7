// The one decision `fetch` makes before storing anything: what may make a presented certificate
// trusted. Every path, with no terminal unless the case says so.
#include <gtest/gtest.h>

#include "agent/certificate_file.h"
#include "agent/fetch.h"
#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/fingerprint.h"

namespace agent {
namespace {

using Basis = TrustDecision::Basis;
using testing_support::make_cert;

PresentedCert presented(const testing_support::Issued& issued) {
  return {trust::Certificate::from_der(issued.der())->info(), issued.der()};
}

class FetchTrust : public ::testing::Test {
 protected:
  TrustDecision decide(const TrustInputs& in) { return decide_trust(in, leaf_, 1, leaf_); }
  static TrustInputs with(std::optional<trust::Fingerprint> expected, PinVerdict pins,
                          bool first_use, bool terminal) {
    TrustInputs in;
    in.expected = std::move(expected);
    in.pins = pins;
    in.pinned_by = "policy p";
    in.first_use = first_use;
    in.terminal = terminal;
    return in;
  }

  PresentedCert leaf_ = presented(make_cert({.common_name = "server"}));
  trust::Fingerprint right_ = *trust::parse_fingerprint(leaf_.info.sha256);
  trust::Fingerprint wrong_ = *trust::parse_fingerprint(std::string(64, 'a'));
};

TEST_F(FetchTrust, WithoutAnyGroundAndNoTerminalItIsRefused) {
  auto d = decide({});
  EXPECT_EQ(d.basis, Basis::kRefused);
  EXPECT_NE(d.message.find("--fingerprint " + leaf_.info.sha256), std::string::npos);
}

TEST_F(FetchTrust, OnATerminalAPersonIsAsked) {
  EXPECT_EQ(decide(with(std::nullopt, PinVerdict::kNoPins, false, true)).basis, Basis::kAskPerson);
}

TEST_F(FetchTrust, AFingerprintDecidesAloneEvenOnATerminalOrAgainstAPin) {
  EXPECT_EQ(decide(with(right_, PinVerdict::kMismatch, false, true)).basis, Basis::kFingerprint);
  auto wrong = decide(with(wrong_, PinVerdict::kMatches, true, false));
  EXPECT_EQ(wrong.basis, Basis::kRefused);
  EXPECT_NE(wrong.message.find("fingerprint mismatch"), std::string::npos);
}

TEST_F(FetchTrust, AMatchingPinOfThePolicyIsEnough) {
  EXPECT_EQ(decide(with(std::nullopt, PinVerdict::kMatches, false, false)).basis, Basis::kPin);
}

TEST_F(FetchTrust, FirstUseIsTakenLoudlyButNeverAgainstAPinForAnotherCertificate) {
  auto taken = decide(with(std::nullopt, PinVerdict::kNoPins, true, false));
  EXPECT_EQ(taken.basis, Basis::kFirstUse);
  // Loud: the command logs a kFirstUse decision as an alarm ("WARNING", fetch_connect_cli_test).
  EXPECT_EQ(taken.message.rfind("trusting on first use: ", 0), 0u) << taken.message;
  auto pinned = decide(with(std::nullopt, PinVerdict::kMismatch, true, false));
  EXPECT_EQ(pinned.basis, Basis::kRefused);
  EXPECT_NE(pinned.message.find("policy p pins another certificate"), std::string::npos);
}

}  // namespace
}  // namespace agent

namespace {

std::vector<agent::PresentedCert> presented(
    std::initializer_list<const testing_support::Issued*> certs) {
  std::vector<agent::PresentedCert> out;
  for (const auto* c : certs) {
    auto cert = trust::Certificate::from_der(c->der());
    out.push_back({cert->info(), c->der()});
  }
  return out;
}

// Issue 23: `fetch --pick root` and `add --pick root` take the same certificate of one chain,
// and refuse the same chain that has no root.
TEST(PickRoot, IsTheSelfSignedOneWhereverItWasSentAndAddAgrees) {
  testing_support::TempHome home;
  auto root = testing_support::make_cert({.common_name = "Pick Root", .is_ca = true});
  auto inter = testing_support::make_cert({.common_name = "Pick Inter", .is_ca = true}, &root);
  auto leaf = testing_support::make_cert({.common_name = "pick.example"}, &inter);
  // A server that sends its root before the intermediate.
  auto sent = presented({&leaf, &root, &inter});
  auto picked = agent::pick_certificate(sent, "root");
  ASSERT_TRUE(picked) << picked.error().message;
  EXPECT_EQ(sent[*picked].info.sha256, root.sha256());
  std::string file = home.write("in/chain.pem", leaf.pem() + root.pem() + inter.pem());
  auto added = agent::certificates_to_import(file, std::nullopt, "root");
  ASSERT_TRUE(added) << added.error().message;
  ASSERT_TRUE(added->has_value());
  ASSERT_EQ((*added)->size(), 1u);
  EXPECT_EQ(trust::to_hex(trust::sha256_of((**added)[0])), root.sha256());

  auto rootless = agent::pick_certificate(presented({&leaf, &inter}), "root");
  ASSERT_FALSE(rootless);
  EXPECT_NE(rootless.error().message.find("holds no root"), std::string::npos);
  std::string no_root = home.write("in/no-root.pem", leaf.pem() + inter.pem());
  auto refused = agent::certificates_to_import(no_root, std::nullopt, "root");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("holds no root"), std::string::npos);
}

}  // namespace
