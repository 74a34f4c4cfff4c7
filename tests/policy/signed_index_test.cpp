// The signed index's rules, with the clock passed in: signature, serial, expiry, and what a
// malformed header does.
#include "policy/signed_index.h"

#include <gtest/gtest.h>

#include "policy/policy.h"
#include "tests/support/cert_factory.h"
#include "trust/cms_signature.h"
#include "trust/fingerprint.h"

namespace {

using testing_support::Issued;
using testing_support::make_cert;

constexpr int64_t kDay = 86400;

class SignedIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = trust::Certificate::from_der(signer_.der());
    ASSERT_TRUE(cert);
    signers_.push_back(std::move(*cert));
    now_ = static_cast<int64_t>(std::time(nullptr));
  }
  std::string index(int64_t serial, int64_t expires, const std::string& extra = "") {
    policy::IndexHeader h{serial, expires, {}};
    std::string xml = policy::write_index({{"aaaa-1", 1, std::string(64, 'a'), "aaaa-1.xml"}}, h);
    return xml.insert(xml.rfind("</PolicyIndex>"), extra);
  }
  std::string sign(const std::string& xml, const Issued& by) {
    auto cert = trust::Certificate::from_der(by.der());
    auto sig = trust::sign_detached(xml, {{*cert, *by.key}});
    EXPECT_TRUE(sig) << (sig ? "" : sig.error().message);
    return sig ? *sig : "";
  }
  trust::Result<policy::SignedIndex> verify(const std::string& xml, const std::string& sig,
                                            std::optional<policy::AcceptedIndex> last = {}) {
    return policy::verify_signed_index(xml, sig, signers_, last, now_, "index.xml");
  }

  // A CA, to show that what it issues still cannot sign; its key may sign itself.
  Issued signer_ = make_cert({.common_name = "signer",
                              .is_ca = true,
                              .key_usage = "critical,digitalSignature,keyCertSign"});
  std::vector<trust::Certificate> signers_;
  int64_t now_ = 0;
};

TEST_F(SignedIndex, AGoodIndexIsAcceptedWithItsTerms) {
  std::string xml = index(7, now_ + kDay);
  auto r = verify(xml, sign(xml, signer_));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->accepted.serial, 7);
  EXPECT_EQ(r->accepted.expires, now_ + kDay);
  EXPECT_EQ(r->accepted.sha256, trust::to_hex(trust::sha256_of(xml)));
  EXPECT_EQ(r->accepted.signer_sha256, signer_.sha256());
  EXPECT_EQ(r->index.entries.size(), 1u);
}

TEST_F(SignedIndex, EachRuleRefusesOnItsOwn) {
  std::string good = index(7, now_ + kDay);
  std::string sig = sign(good, signer_);
  EXPECT_FALSE(policy::verify_signed_index(good, std::nullopt, signers_, {}, now_, "i"));
  std::string tampered = good;
  tampered[tampered.find("revision=\"1\"") + 10] = '2';
  EXPECT_FALSE(verify(tampered, sig));
  std::string expired = index(7, now_ - 1);
  EXPECT_FALSE(verify(expired, sign(expired, signer_)));
  std::string no_serial = policy::write_index({}, {std::nullopt, now_ + kDay, {}});
  EXPECT_FALSE(verify(no_serial, sign(no_serial, signer_)));
  std::string no_expiry = policy::write_index({}, {7, std::nullopt, {}});
  EXPECT_FALSE(verify(no_expiry, sign(no_expiry, signer_)));
}

TEST_F(SignedIndex, SerialsOnlyGrowAndOneSerialMeansOneIndex) {
  std::string xml = index(7, now_ + kDay);
  auto first = verify(xml, sign(xml, signer_));
  ASSERT_TRUE(first);
  EXPECT_TRUE(verify(xml, sign(xml, signer_), first->accepted));  // the same index again
  std::string older = index(6, now_ + kDay);
  auto replay = verify(older, sign(older, signer_), first->accepted);
  ASSERT_FALSE(replay);
  EXPECT_NE(replay.error().message.find("older than the accepted 7"), std::string::npos);
  std::string other = index(7, now_ + 2 * kDay);
  auto twin = verify(other, sign(other, signer_), first->accepted);
  ASSERT_FALSE(twin);
  EXPECT_NE(twin.error().message.find("already accepted for a different index"), std::string::npos);
}

// A signer certificate that is a CA does not make what it issued a signer: only the configured
// certificates themselves sign, whatever certificates a signature carries.
TEST_F(SignedIndex, ACertificateTheSignerIssuedCannotSign) {
  Issued issued = make_cert({.common_name = "issued by the signer"}, &signer_);
  std::string xml = index(7, now_ + kDay);
  auto r = verify(xml, sign(xml, issued));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, trust::Code::kRefused);
}

TEST_F(SignedIndex, ACertificateWhoseKeyUsageForbidsSignaturesCannotSign) {
  Issued ca_only = make_cert({.common_name = "CA only", .is_ca = true});  // keyCertSign, cRLSign
  auto cert = trust::Certificate::from_der(ca_only.der());
  ASSERT_TRUE(cert);
  signers_.push_back(std::move(*cert));
  std::string xml = index(7, now_ + kDay);
  auto r = verify(xml, sign(xml, ca_only));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("digitalSignature"), std::string::npos) << r.error().message;
}

TEST_F(SignedIndex, AMalformedHeaderRefusesTheWholeIndex) {
  EXPECT_FALSE(policy::parse_index("<PolicyIndex serial=\"x1\"/>", "i"));
  EXPECT_FALSE(policy::parse_index("<PolicyIndex serial=\"-1\"/>", "i"));
  EXPECT_FALSE(policy::parse_index("<PolicyIndex expires=\"tomorrow\"/>", "i"));
  EXPECT_FALSE(policy::parse_index("<PolicyIndex><Signer>junk</Signer></PolicyIndex>", "i"));
  policy::IndexHeader h{3, now_, {signer_.der()}};
  auto round = policy::parse_index(policy::write_index({}, h), "i");
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->header.serial, 3);
  EXPECT_EQ(round->header.signers, std::vector<std::string>{signer_.der()});
}

TEST(PolicyMirrors, AMirrorIsAPlainHostAndPath) {
  auto p = policy::parse_policy(
      "<Policy guid=\"g\"><Mirror Address=\"m1.example\" Port=\"8443\" BasePath=\"/ta\"/>"
      "<Mirror Address=\"[::1]\"/></Policy>",
      "p.xml");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->mirrors.size(), 2u);
  EXPECT_EQ(policy::server_url(p->mirrors[0].address, p->mirrors[0].port, p->mirrors[0].base_path),
            "https://m1.example:8443/ta");
  EXPECT_EQ(p->mirrors[1].address, "[::1]");
  for (const char* bad : {"<Mirror Address=\"user@evil.example\"/>", "<Mirror Address=\"a/b\"/>",
                          "<Mirror Address=\"m\" BasePath=\"/../x\"/>", "<Mirror Port=\"1\"/>"}) {
    EXPECT_FALSE(policy::parse_policy(std::string("<Policy guid=\"g\">") + bad + "</Policy>", "p"))
        << bad;
  }
}

}  // namespace
