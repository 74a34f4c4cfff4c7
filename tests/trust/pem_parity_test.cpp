#include "trust/pem_parity.h"

#include <gtest/gtest.h>

#include "tests/support/cert_factory.h"
#include "trust/certificate.h"
#include "trust/source_reader.h"

namespace {

using testing_support::make_cert;

TEST(PemParity, BoundariesCountOnlyAtTheStartOfALineForTrustagentsReader) {
  auto cert = make_cert({.common_name = "inline"});
  std::string body = testing_support::base64_body(cert);
  std::string inline_pem =
      "# O=-----BEGIN CERTIFICATE----- " + body + " -----END CERTIFICATE-----\n";
  EXPECT_TRUE(trust::split_certificates(inline_pem).certs.empty());
  auto real = make_cert({.common_name = "real"});
  auto read = trust::split_certificates(inline_pem + real.pem());
  ASSERT_EQ(read.certs.size(), 1u);
  EXPECT_EQ(read.certs[0].der, real.der());
  // An END marker in the middle of a line does not end a block either.
  std::string pem = real.pem();
  std::string shifted = pem;
  shifted.insert(shifted.find("-----END"), "x ");
  EXPECT_TRUE(trust::split_certificates(shifted).certs.empty());
}

TEST(PemParity, RefusesTextInWhichOpenSslFindsACertificateNobodyWrote) {
  auto carrier = make_cert({.common_name = "carrier"});
  auto hidden = make_cert({.common_name = "hidden", .is_ca = true});
  // A comment line OpenSSL reads in 254-byte pieces: the second piece is a BEGIN line.
  std::string line = "# " + std::string(252, 'A');
  std::string begin = "-----BEGIN CERTIFICATE-----";
  line += begin + std::string(254 - begin.size(), ' ');
  std::string body = testing_support::base64_body(hidden);
  for (size_t at = 0; at < body.size(); at += 254) {
    std::string piece = body.substr(at, 254);
    piece.resize(254, ' ');
    line += piece;
  }
  line += "-----END CERTIFICATE-----\n";
  std::string text = line + carrier.pem();
  auto blocks = trust::openssl_pem_blocks(text);
  ASSERT_TRUE(blocks);
  EXPECT_EQ(blocks->size(), 2u) << "the crafted line must fool OpenSSL's reader";
  std::string der = carrier.der();
  auto checked =
      trust::check_reads_back(text, {{der, "[1] CN=carrier (from cainfo.pem)"}}, "store");
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("[1] CN=carrier (from cainfo.pem)"), std::string::npos)
      << checked.error().message;
  EXPECT_TRUE(trust::check_reads_back(carrier.pem(), {{der, "[1]"}}, "store"));
}

TEST(PemParity, RefusesTextOpenSslCannotRead) {
  auto carrier = make_cert({.common_name = "carrier"});
  std::string lone = "# " + std::string(252, 'A') + "-----BEGIN CERTIFICATE-----\n";
  std::string der = carrier.der();
  auto checked = trust::check_reads_back(lone + carrier.pem(), {{der, "[1]"}}, "store");
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("OpenSSL"), std::string::npos) << checked.error().message;
}

}  // namespace
