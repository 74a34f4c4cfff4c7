// Detached CMS signatures: what signs, what verifies, and hostile signatures bounded before
// OpenSSL works on them.
#include "trust/cms_signature.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>

#include <ctime>

#include "tests/support/cert_factory.h"

namespace {

using testing_support::Issued;
using testing_support::make_cert;

std::string der_length(size_t n) {
  if (n < 128) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (; n != 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
  return std::string(1, static_cast<char>(0x80 | bytes.size())) + bytes;
}

struct Tlv {
  size_t at, header, length;
  size_t end() const { return at + header + length; }
};

Tlv tlv_at(const std::string& der, size_t at) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data()) + at;
  const unsigned char* p = start;
  long length = 0;
  int tag = 0, klass = 0;
  ASN1_get_object(&p, &length, &tag, &klass, static_cast<long>(der.size() - at));
  return {at, static_cast<size_t>(p - start), static_cast<size_t>(length)};
}

// The signature with its (unsigned) digestAlgorithms SET holding `extra` more copies of its first
// algorithm, every enclosing length re-encoded: what an attacker on the path can do to a real
// signature without invalidating it.
std::string with_more_digest_algorithms(const std::string& der, int extra) {
  Tlv info = tlv_at(der, 0);
  Tlv oid = tlv_at(der, info.at + info.header);
  Tlv wrap = tlv_at(der, oid.end());
  Tlv signed_data = tlv_at(der, wrap.at + wrap.header);
  Tlv version = tlv_at(der, signed_data.at + signed_data.header);
  Tlv set = tlv_at(der, version.end());
  Tlv first = tlv_at(der, set.at + set.header);
  std::string algorithms = der.substr(first.at, set.length);
  for (int i = 0; i < extra; ++i) algorithms += der.substr(first.at, first.end() - first.at);
  std::string new_set = "\x31" + der_length(algorithms.size()) + algorithms;
  std::string body = der.substr(version.at, version.end() - version.at) + new_set +
                     der.substr(set.end(), signed_data.end() - set.end());
  std::string new_signed = "\x30" + der_length(body.size()) + body;
  std::string new_wrap = "\xa0" + der_length(new_signed.size()) + new_signed;
  std::string content = der.substr(oid.at, oid.end() - oid.at) + new_wrap;
  return "\x30" + der_length(content.size()) + content;
}

class CmsSignature : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = trust::Certificate::from_der(signer_.der());
    ASSERT_TRUE(cert);
    signers_.push_back(std::move(*cert));
    auto sig = trust::sign_detached(document_, {{signers_.front(), *signer_.key}});
    ASSERT_TRUE(sig) << sig.error().message;
    signature_ = *sig;
  }
  trust::Result<trust::CertInfo> verify(const std::string& signature) {
    return trust::verify_detached(document_, signature, signers_, std::time(nullptr));
  }

  Issued signer_ = make_cert({.common_name = "signer"});
  std::vector<trust::Certificate> signers_;
  std::string document_ = "<PolicyIndex serial=\"1\"/>\n";
  std::string signature_;
};

TEST_F(CmsSignature, AGoodSignatureNamesItsSigner) {
  auto r = verify(signature_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sha256, signer_.sha256());
  ASSERT_EQ(with_more_digest_algorithms(signature_, 0), signature_);  // the rewriter is exact
}

TEST_F(CmsSignature, ALongDigestAlgorithmListIsRefusedBeforeOpensslReadsIt) {
  auto many = verify(with_more_digest_algorithms(signature_, 50));
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("too many digest algorithms"), std::string::npos)
      << many.error().message;
  // The review's crash: 80,000 of them, just under the old 1 MiB limit.
  auto huge = verify(with_more_digest_algorithms(signature_, 80000));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("larger than 256 KiB"), std::string::npos);
}

TEST_F(CmsSignature, WhatIsNotADetachedSignedDataIsRefused) {
  for (const std::string& bad : {std::string(), std::string("\x30\x03\x02\x01\x01", 5),
                                 signature_.substr(0, signature_.size() / 2)}) {
    auto r = verify(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, trust::Code::kRefused);
  }
}

TEST_F(CmsSignature, AKeyThatIsNotTheCertificatesCannotSign) {
  Issued other = make_cert({.common_name = "other"});
  auto r = trust::sign_detached(document_, {{signers_.front(), *other.key}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not belong"), std::string::npos);
}

}  // namespace
