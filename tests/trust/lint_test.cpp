// lint, rule by rule and profile by profile: a chain that meets the profile has no finding, and
// changing one property of it produces exactly the finding for that rule.
#include "trust/lint.h"

#include <gtest/gtest.h>

#include <ctime>
#include <functional>
#include <set>

#include "tests/support/cert_factory.h"

namespace trust {
namespace {

using testing_support::CertSpec;
using testing_support::Issued;
using testing_support::KeyKind;
using testing_support::make_cert;

const std::vector<std::pair<LintProfile, const char*>> kProfiles = {
    {LintProfile::kCommon, "common"},
    {LintProfile::kMobile, "mobile"},
    {LintProfile::kMca, "mca"},
    {LintProfile::kWebserver, "webserver"},
    {LintProfile::kMdm, "mdm"}};

// What each profile's certificate looks like when it meets every requirement.
CertSpec good_spec(LintProfile profile) {
  CertSpec s{.common_name = "ns.example", .not_after_days = 300, .dns_names = {"ns.example"}};
  switch (profile) {
    case LintProfile::kCommon:
      s.extended_key_usage = "serverAuth,clientAuth";
      break;
    case LintProfile::kMca:
      s.is_ca = true;
      s.extended_key_usage = "clientAuth";
      break;
    default:
      s.extended_key_usage = "serverAuth";
      break;
  }
  return s;
}

class Lint : public ::testing::Test {
 protected:
  static Certificate as_certificate(const Issued& i) { return *Certificate::from_der(i.der()); }

  std::set<std::string> codes(LintProfile profile, const CertSpec& spec,
                              const std::string& address = "ns.example", bool with_root = true,
                              const Issued* root = nullptr) {
    Issued leaf = make_cert(spec, root ? root : &root_);
    std::vector<Certificate> chain;
    chain.push_back(as_certificate(leaf));
    if (with_root) chain.push_back(as_certificate(root ? *root : root_));
    std::set<std::string> out;
    for (const auto& f : lint_chain(chain, profile, address, std::time(nullptr))) {
      out.insert(f.code);
    }
    return out;
  }

  // For every profile, `tweak` applied to the good certificate must produce `code`.
  void expect_each_profile(const std::string& code, const std::function<void(CertSpec&)>& tweak,
                           const std::string& address = "ns.example") {
    for (const auto& [profile, name] : kProfiles) {
      SCOPED_TRACE(name);
      CertSpec spec = good_spec(profile);
      tweak(spec);
      EXPECT_EQ(codes(profile, spec, address).count(code), 1u);
    }
  }

  Issued root_ = make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 3650});
};

TEST_F(Lint, AGoodChainHasNoFindingInAnyProfile) {
  for (const auto& [profile, name] : kProfiles) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(codes(profile, good_spec(profile)).empty());
  }
}

TEST_F(Lint, SmallKeys) {
  expect_each_profile("key_too_small", [](CertSpec& s) { s.key = KeyKind::kRsa1024; });
  expect_each_profile("key_too_small", [](CertSpec& s) { s.key = KeyKind::kEc224; });
  CertSpec rsa = good_spec(LintProfile::kCommon);
  rsa.key = KeyKind::kRsa2048;
  EXPECT_TRUE(codes(LintProfile::kCommon, rsa).empty());
}

TEST_F(Lint, MdmNeedsAnRsaRootOf4096Bits) {
  Issued rsa_root = make_cert(
      {.common_name = "RSA Root", .is_ca = true, .not_after_days = 3650, .key = KeyKind::kRsa2048});
  EXPECT_EQ(codes(LintProfile::kMdm, good_spec(LintProfile::kMdm), "ns.example", true, &rsa_root),
            std::set<std::string>{"root_key_too_small"});
  // The same root is fine for a profile without that rule.
  EXPECT_TRUE(codes(LintProfile::kWebserver, good_spec(LintProfile::kWebserver), "ns.example", true,
                    &rsa_root)
                  .empty());
}

TEST_F(Lint, Sha1Signatures) {
  expect_each_profile("signature_not_sha2", [](CertSpec& s) { s.digest = "sha1"; });
}

TEST_F(Lint, ValidityOver397Days) {
  expect_each_profile("validity_over_397_days", [](CertSpec& s) { s.not_after_days = 500; });
  CertSpec edge = good_spec(LintProfile::kCommon);
  edge.not_before_days = 0;
  edge.not_after_days = 397;
  EXPECT_TRUE(codes(LintProfile::kCommon, edge).empty());
}

TEST_F(Lint, ExpiredAndNotYetValid) {
  expect_each_profile("expired", [](CertSpec& s) {
    s.not_before_days = -300;
    s.not_after_days = -1;
  });
  expect_each_profile("not_yet_valid", [](CertSpec& s) {
    s.not_before_days = 2;
    s.not_after_days = 300;
  });
}

TEST_F(Lint, EkuPresentButIncomplete) {
  const std::map<LintProfile, std::string> lacking = {{LintProfile::kCommon, "serverAuth"},
                                                      {LintProfile::kMobile, "clientAuth"},
                                                      {LintProfile::kMca, "serverAuth"},
                                                      {LintProfile::kWebserver, "clientAuth"},
                                                      {LintProfile::kMdm, "clientAuth"}};
  for (const auto& [profile, name] : kProfiles) {
    SCOPED_TRACE(name);
    CertSpec spec = good_spec(profile);
    spec.extended_key_usage = lacking.at(profile);
    EXPECT_EQ(codes(profile, spec), std::set<std::string>{"eku_incomplete"});
    spec.extended_key_usage = "";  // EKU is optional
    EXPECT_TRUE(codes(profile, spec).empty());
  }
}

TEST_F(Lint, KeyUsagePerProfile) {
  for (const auto& [profile, name] : kProfiles) {
    SCOPED_TRACE(name);
    CertSpec spec = good_spec(profile);
    spec.key_usage =
        profile == LintProfile::kMca ? "critical,digitalSignature" : "critical,nonRepudiation";
    EXPECT_EQ(codes(profile, spec), std::set<std::string>{"key_usage"});
    spec.key_usage = "none";
    EXPECT_EQ(codes(profile, spec), std::set<std::string>{"key_usage"});
  }
  CertSpec rsa = good_spec(LintProfile::kWebserver);
  rsa.key = KeyKind::kRsa2048;
  rsa.key_usage = "critical,digitalSignature";  // an RSA server key also needs keyEncipherment
  EXPECT_EQ(codes(LintProfile::kWebserver, rsa), std::set<std::string>{"key_usage"});
}

TEST_F(Lint, BasicConstraintsPerProfile) {
  for (auto profile : {LintProfile::kCommon, LintProfile::kMobile}) {
    CertSpec spec = good_spec(profile);
    spec.basic_constraints = false;
    EXPECT_EQ(codes(profile, spec), std::set<std::string>{"basic_constraints"});
  }
  CertSpec not_ca = good_spec(LintProfile::kMca);
  not_ca.is_ca = false;
  not_ca.key_usage = "critical,keyCertSign,digitalSignature";
  EXPECT_EQ(codes(LintProfile::kMca, not_ca), std::set<std::string>{"basic_constraints"});
  for (auto profile : {LintProfile::kWebserver, LintProfile::kMdm}) {
    CertSpec ca = good_spec(profile);
    ca.is_ca = true;
    ca.key_usage = "critical,digitalSignature,keyCertSign";
    EXPECT_EQ(codes(profile, ca), std::set<std::string>{"basic_constraints"});
  }
}

TEST_F(Lint, SubjectAltName) {
  for (auto profile : {LintProfile::kMobile, LintProfile::kWebserver, LintProfile::kMdm}) {
    CertSpec spec = good_spec(profile);
    spec.dns_names = {};
    EXPECT_EQ(codes(profile, spec, ""), std::set<std::string>{"san_missing"});
  }
  CertSpec common = good_spec(LintProfile::kCommon);
  common.dns_names = {};
  EXPECT_TRUE(codes(LintProfile::kCommon, common, "").empty());  // not needed without an address
  EXPECT_EQ(codes(LintProfile::kCommon, common, "ns.example"),
            std::set<std::string>{"san_missing"});
  expect_each_profile(
      "san_mismatch", [](CertSpec&) {}, "other.example");
  CertSpec by_ip = good_spec(LintProfile::kWebserver);
  by_ip.ip_addresses = {"192.0.2.7"};
  EXPECT_TRUE(codes(LintProfile::kWebserver, by_ip, "192.0.2.7").empty());
}

TEST_F(Lint, ChainMustReachASelfSignedRoot) {
  for (const auto& [profile, name] : kProfiles) {
    SCOPED_TRACE(name);
    EXPECT_EQ(codes(profile, good_spec(profile), "ns.example", /*with_root=*/false),
              std::set<std::string>{"chain_incomplete"});
  }
}

TEST_F(Lint, OrderChainFollowsIssuersWhateverTheFileOrder) {
  Issued intermediate = make_cert({.common_name = "Issuing CA", .is_ca = true}, &root_);
  Issued leaf = make_cert(good_spec(LintProfile::kWebserver), &intermediate);
  Issued stranger = make_cert({.common_name = "Stranger", .is_ca = true});
  std::vector<Certificate> mixed;
  for (const Issued* i : {&leaf, &root_, &stranger, &intermediate}) {
    mixed.push_back(as_certificate(*i));
  }
  auto chain = order_chain(std::move(mixed));
  ASSERT_EQ(chain.size(), 3u);
  EXPECT_EQ(chain[1].info().subject, "CN=Issuing CA,O=trustagent tests");
  EXPECT_EQ(chain[2].info().subject, "CN=Corp Root,O=trustagent tests");
  EXPECT_TRUE(lint_chain(chain, LintProfile::kWebserver, "ns.example", std::time(nullptr)).empty());
}

}  // namespace
}  // namespace trust
