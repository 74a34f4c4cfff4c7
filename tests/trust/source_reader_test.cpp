#include "trust/source_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/certificate.h"

namespace trust {
namespace {

std::string to_pem_body(const std::string& der) {
  std::string pem = to_pem(der);
  size_t start = pem.find('\n') + 1;
  return pem.substr(start, pem.rfind("-----END") - start);
}

using testing_support::CertSpec;
using testing_support::Issued;
using testing_support::make_cert;

class SourceReader : public ::testing::Test {
 protected:
  Issued a_ = make_cert({.common_name = "A", .is_ca = true});
  Issued b_ = make_cert({.common_name = "B"}, &a_);
  Issued c_ = make_cert({.common_name = "C"}, &a_);
};

std::vector<std::string> ders(const ReadResult& r) {
  std::vector<std::string> out;
  for (const auto& c : r.certs) out.push_back(c.der);
  return out;
}

TEST_F(SourceReader, ReadsPemBlocksAmongAnyText) {
  std::string text = "subject=CN=A\nsome openssl -text dump\n" + a_.pem() + "between\n" + b_.pem() +
                     "trailing words";
  ReadResult r = read_certificates(text);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der(), b_.der()}));
  EXPECT_EQ(r.certs[1].block, 2);
}

TEST_F(SourceReader, ReadsCrlfAndUtf8Bom) {
  std::string text = "\xEF\xBB\xBF" + a_.pem() + b_.pem();
  std::string crlf;
  for (char ch : text) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  ReadResult r = read_certificates(crlf);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der(), b_.der()}));
}

// What PowerShell's `>` and Notepad's "Unicode" write (issue 16, item 2): UTF-16 with a BOM, in
// either byte order, and CRLF line ends; a comment outside ASCII survives the conversion.
std::string utf16(const std::string& ascii_or_utf8, bool big_endian, bool bom = true) {
  std::string out = !bom ? "" : big_endian ? std::string("\xFE\xFF") : std::string("\xFF\xFE");
  for (unsigned char ch : ascii_or_utf8) {
    char hi = 0, lo = static_cast<char>(ch);
    if (ch == 0xC3) continue;  // the test's only non-ASCII: "\xC3\xBC" (u-umlaut), U+00FC
    if (ch == 0xBC) lo = static_cast<char>(0xFC);
    out += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  }
  return out;
}

TEST_F(SourceReader, ReadsUtf16WithAByteOrderMarkAndNamesOtherEncodings) {
  std::string text = "Zertifikat f\xC3\xBCr A\r\n" + a_.pem() + b_.pem();
  for (bool big_endian : {false, true}) {
    ReadResult r = read_certificates(utf16(text, big_endian));
    EXPECT_TRUE(r.warnings.empty()) << r.warnings[0].reason;
    EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der(), b_.der()})) << big_endian;
  }
  ReadResult no_bom = read_certificates(utf16(a_.pem(), false, false));
  ASSERT_EQ(no_bom.warnings.size(), 1u);
  EXPECT_NE(no_bom.warnings[0].reason.find("UTF-16 without a byte-order mark"), std::string::npos);
  ReadResult utf32 = read_certificates(std::string("\xFF\xFE\x00\x00", 4) + "-\0\0\0");
  ASSERT_EQ(utf32.warnings.size(), 1u);
  EXPECT_NE(utf32.warnings[0].reason.find("UTF-32"), std::string::npos);
  // Review 2: ASCII PEM among UTF-16 text is what OpenSSL reads and the conversion would hide.
  ReadResult polyglot = read_certificates(utf16(b_.pem(), false) + a_.pem());
  EXPECT_TRUE(polyglot.certs.empty());
  ASSERT_EQ(polyglot.warnings.size(), 1u);
  EXPECT_NE(polyglot.warnings[0].reason.find("readers would disagree"), std::string::npos);
  ReadResult broken = read_certificates(std::string("\xFF\xFE\x00\xD8", 4));  // lone surrogate
  ASSERT_EQ(broken.warnings.size(), 1u);
  EXPECT_NE(broken.warnings[0].reason.find("does not decode"), std::string::npos);
}

TEST_F(SourceReader, ReadsBareDerCertificate) {
  ReadResult r = read_certificates(a_.der());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der()}));
}

TEST_F(SourceReader, ReadsPkcs7BundlesInPemAndDer) {
  for (bool pem : {true, false}) {
    ReadResult r = read_certificates(testing_support::make_pkcs7({&a_, &b_, &c_}, pem));
    EXPECT_TRUE(r.warnings.empty()) << (pem ? "PEM" : "DER");
    EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der(), b_.der(), c_.der()}));
  }
}

// The bundle's certificates are cut out without decoding them; a bundle that is not exactly a
// SignedData still goes to OpenSSL's full decoder, which refuses what is damaged.
TEST_F(SourceReader, ADamagedPkcs7BundleIsSkippedNotSliced) {
  std::string der = testing_support::make_pkcs7({&a_, &b_}, false);
  for (std::string bad : {der.substr(0, der.size() - 1), der.substr(0, der.size() / 2)}) {
    ReadResult r = split_certificates(bad);
    EXPECT_TRUE(r.certs.empty()) << bad.size();
    ASSERT_FALSE(r.warnings.empty()) << bad.size();
  }
  ReadResult whole = split_certificates(der);
  EXPECT_EQ(ders(whole), (std::vector<std::string>{a_.der(), b_.der()}));
}

TEST_F(SourceReader, ReadsPkcs7UnderACertificateLabel) {
  // Some exporters wrap a .p7b in CERTIFICATE armour.
  std::string der = testing_support::make_pkcs7({&b_}, false);
  std::string pem =
      "-----BEGIN CERTIFICATE-----\n" + to_pem_body(der) + "-----END CERTIFICATE-----\n";
  ReadResult r = read_certificates(pem);
  EXPECT_EQ(ders(r), (std::vector<std::string>{b_.der()}));
}

TEST_F(SourceReader, TrustedCertificateKeepsOnlyTheCertificate) {
  std::string aux = a_.der() + std::string("\x30\x03\x06\x01\x00", 5);  // cert + X509_CERT_AUX-ish
  std::string pem = "-----BEGIN TRUSTED CERTIFICATE-----\n" + to_pem_body(aux) +
                    "-----END TRUSTED CERTIFICATE-----\n";
  ReadResult r = read_certificates(pem);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der()}));
}

TEST_F(SourceReader, SkipsPrivateKeyBlockWithWarning) {
  ReadResult r = read_certificates(a_.pem() + b_.key_pem() + c_.pem());
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der(), c_.der()}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].block, 2);
  EXPECT_EQ(r.warnings[0].reason, "private key, skipped (never copied)");
  EXPECT_EQ(r.certs[1].block, 3);
}

TEST_F(SourceReader, SkipsEveryKindOfPrivateKeyLabel) {
  for (std::string label :
       {"RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY"}) {
    std::string block = "-----BEGIN " + label + "-----\nAAAA\n-----END " + label + "-----\n";
    ReadResult r = read_certificates(block + a_.pem());
    ASSERT_EQ(r.warnings.size(), 1u) << label;
    EXPECT_NE(r.warnings[0].reason.find("private key"), std::string::npos);
    EXPECT_EQ(r.certs.size(), 1u);
  }
}

TEST_F(SourceReader, DerPrivateKeyFileIsNotACertificate) {
  ReadResult r = read_certificates(b_.key_der());
  EXPECT_TRUE(r.certs.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].block, 0);
  EXPECT_NE(r.warnings[0].reason.find("private key"), std::string::npos);
}

TEST_F(SourceReader, SkipsCrlWithWarning) {
  ReadResult r = read_certificates(testing_support::make_crl_pem(a_) + b_.pem());
  EXPECT_EQ(ders(r), (std::vector<std::string>{b_.der()}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].reason, "certificate revocation list, skipped");
}

TEST_F(SourceReader, TruncatedPemSkipsTheBlockKeepsTheRest) {
  std::string truncated = b_.pem().substr(0, b_.pem().size() / 2);
  ReadResult r = read_certificates(a_.pem() + truncated);
  EXPECT_EQ(ders(r), (std::vector<std::string>{a_.der()}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].block, 2);
  EXPECT_NE(r.warnings[0].reason.find("truncated"), std::string::npos);
}

TEST_F(SourceReader, BadBase64SkipsTheBlockKeepsTheRest) {
  std::string bad = b_.pem();
  bad[40] = '!';
  ReadResult r = read_certificates(bad + c_.pem());
  EXPECT_EQ(ders(r), (std::vector<std::string>{c_.der()}));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].reason, "invalid base64, skipped");
}

TEST_F(SourceReader, MalformedDerInsideValidBase64IsSkipped) {
  std::string der = b_.der();
  der.resize(der.size() - 10);  // truncated certificate, well-formed armour
  std::string pem =
      "-----BEGIN CERTIFICATE-----\n" + to_pem_body(der) + "-----END CERTIFICATE-----\n";
  ReadResult r = read_certificates(pem);
  EXPECT_TRUE(r.certs.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].reason.find("malformed certificate"), std::string::npos);
}

TEST_F(SourceReader, GarbageAndEmptyFiles) {
  ReadResult garbage = read_certificates("hello, this is not a certificate\n");
  EXPECT_TRUE(garbage.certs.empty());
  ASSERT_EQ(garbage.warnings.size(), 1u);
  EXPECT_EQ(garbage.warnings[0].reason, "no certificate found (not PEM, DER or PKCS#7)");
  ReadResult empty = read_certificates("\n");
  EXPECT_TRUE(empty.certs.empty());
  ASSERT_EQ(empty.warnings.size(), 1u);
  EXPECT_EQ(empty.warnings[0].reason, "empty file, no certificates");
}

TEST_F(SourceReader, KeepsDuplicatesForTheMergeToCount) {
  ReadResult r = read_certificates(a_.pem() + a_.pem() + a_.pem());
  EXPECT_EQ(r.certs.size(), 3u);
}

TEST(SourceFile, RefusesDirectoriesFifosAndOversizedFilesNamingThePath) {
  testing_support::TempHome home;
  auto dir = read_source_file(home.path());
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().message, home.path() + ": is a directory, not a file");

  std::string fifo = home.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto f = read_source_file(fifo);  // must not hang waiting for a writer
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, fifo + ": not a regular file");

  std::string big = home.write("big.pem", std::string(2048, 'x'));
  auto b = read_source_file(big, 1024);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("larger than"), std::string::npos);

  auto missing = read_source_file(home.path() + "/nope.pem");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace trust
