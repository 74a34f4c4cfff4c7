#include "trust/certificate.h"

#include <gtest/gtest.h>

#include <ctime>

#include "tests/support/cert_factory.h"

namespace trust {
namespace {

using testing_support::CertSpec;
using testing_support::KeyKind;
using testing_support::make_cert;

TEST(Certificate, ExposesMetadataOfAnIssuedRsaLeaf) {
  auto ca = make_cert({.common_name = "Test Root", .is_ca = true, .key = KeyKind::kEc256});
  auto leaf = make_cert({.common_name = "server.example",
                         .not_before_days = -2,
                         .not_after_days = 30,
                         .key = KeyKind::kRsa2048},
                        &ca);
  auto cert = Certificate::from_der(leaf.der());
  ASSERT_TRUE(cert) << cert.error().message;
  CertInfo info = cert->info();
  EXPECT_EQ(info.subject, "CN=server.example,O=trustagent tests");
  EXPECT_EQ(info.issuer, "CN=Test Root,O=trustagent tests");
  EXPECT_EQ(info.sha256, leaf.sha256());
  EXPECT_EQ(info.sha1.size(), 40u);
  EXPECT_FALSE(info.self_signed);
  EXPECT_FALSE(info.is_ca);
  EXPECT_EQ(info.key_type, "RSA");
  EXPECT_EQ(info.key_bits, 2048);
  EXPECT_EQ(info.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_FALSE(info.serial.empty());
  int64_t now = std::time(nullptr);
  EXPECT_NEAR(static_cast<double>(info.not_before), static_cast<double>(now - 2 * 86400), 5);
  EXPECT_NEAR(static_cast<double>(info.not_after), static_cast<double>(now + 30 * 86400), 5);
  EXPECT_NE(info.subject_hash, 0u);
}

TEST(Certificate, SelfSignedCaIsRecognised) {
  auto ca = make_cert({.common_name = "Root", .is_ca = true});
  auto cert = Certificate::from_der(ca.der());
  ASSERT_TRUE(cert);
  CertInfo info = cert->info();
  EXPECT_TRUE(info.self_signed);
  EXPECT_TRUE(info.is_ca);
  EXPECT_EQ(info.key_type, "EC");
  EXPECT_EQ(info.key_bits, 256);
}

TEST(Certificate, RejectsTrailingBytesAndGarbage) {
  auto ca = make_cert({});
  auto trailing = Certificate::from_der(ca.der() + "x");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("trailing"), std::string::npos);
  auto garbage = Certificate::from_der("not a certificate");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("not a valid DER certificate"), std::string::npos);
}

TEST(Certificate, PemRoundTripsToTheSameDer) {
  auto ca = make_cert({});
  std::string pem = to_pem(ca.der());
  EXPECT_EQ(pem, ca.pem());  // same 64-column layout as OpenSSL's own writer
}

}  // namespace
}  // namespace trust
