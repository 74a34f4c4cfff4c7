// trustagent lint as a user runs it: PEM and PKCS#12 input, passwords, exit codes and one line
// per finding.
#include <gtest/gtest.h>
#include <openssl/pkcs12.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using nlohmann::json;
using testing_support::Issued;
using testing_support::make_cert;
using testing_support::run_cli;

class LintCli : public ::testing::Test {
 protected:
  testing_support::TempHome dir_;
  Issued root_ = make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 3650});
  Issued leaf_ = make_cert({.common_name = "ns.example",
                            .not_after_days = 300,
                            .dns_names = {"ns.example"},
                            .extended_key_usage = "serverAuth"},
                           &root_);
};

TEST_F(LintCli, ACleanPkcs12ExitsZero) {
  std::string p12 = dir_.write("server.p12", make_pkcs12(leaf_, {&root_}, "s3cret"));
  auto r = run_cli({"lint", p12, "--password", "s3cret", "--profile", "webserver", "--address",
                    "ns.example", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["chain"].size(), 2u);
  EXPECT_TRUE(j["findings"].empty());
  EXPECT_EQ(r.out.find("PRIVATE KEY"), std::string::npos);

  std::string pw = dir_.write("pw.txt", "s3cret\n");
  auto by_file =
      run_cli({"lint", p12, "--password-file", pw, "--profile", "mdm", "--address", "ns.example"});
  EXPECT_EQ(by_file.exit_code, 0) << by_file.err << by_file.out;
  EXPECT_NE(by_file.out.find("2 certificate(s) in the chain, 0 finding(s) for profile mdm"),
            std::string::npos);
}

TEST_F(LintCli, AWrongOrMissingPasswordExitsTwo) {
  std::string p12 = dir_.write("server.p12", make_pkcs12(leaf_, {&root_}, "s3cret"));
  auto wrong = run_cli({"lint", p12, "--password", "guess", "--profile", "common"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find(p12 + ": PKCS#12: wrong password"), std::string::npos) << wrong.err;
  auto none = run_cli({"lint", p12, "--profile", "common"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("needs --password"), std::string::npos) << none.err;
}

TEST_F(LintCli, FindingsAreOneLineEachAndExitOne) {
  Issued weak = make_cert({.common_name = "ns.example",
                           .not_after_days = 500,
                           .key = testing_support::KeyKind::kRsa1024,
                           .digest = "sha1"});  // self-signed, no SAN, no EKU
  std::string pem = dir_.write("weak.pem", weak.pem());
  auto r = run_cli({"lint", pem, "--profile", "mobile", "--address", "ns.example"});
  EXPECT_EQ(r.exit_code, 1);
  for (const char* code : {"key_too_small: [1] 'CN=ns.example", "signature_not_sha2: [1]",
                           "validity_over_397_days: [1]", "san_missing: [1]"}) {
    EXPECT_NE(("\n" + r.out).find(std::string("\n") + code), std::string::npos) << code;
  }
  auto j = json::parse(run_cli({"lint", pem, "--profile", "mobile", "--json"}).out);
  EXPECT_EQ(j["findings"][0]["certificate"], 1);
}

TEST_F(LintCli, UnreadableOrNonCertificateInputExitsTwo) {
  auto missing = run_cli({"lint", dir_.path() + "/nope.pem", "--profile", "common"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(dir_.path() + "/nope.pem"), std::string::npos) << missing.err;
  std::string junk = dir_.write("junk.pem", "not a certificate at all\n");
  auto garbage = run_cli({"lint", junk, "--profile", "common"});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.err.find(junk + ": no certificate in it"), std::string::npos) << garbage.err;
  auto profile = run_cli({"lint", junk, "--profile", "desktop"});
  EXPECT_EQ(profile.exit_code, 2);
}

// Many encrypted safes, each within the per-step bound, together beyond the whole-file bound.
std::string many_safes(const Issued& cert, int safes, int iterations) {
  STACK_OF(PKCS7)* all = nullptr;
  for (int i = 0; i < safes; ++i) {
    STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
    PKCS12_add_cert(&bags, cert.cert.get());
    PKCS12_add_safe(&all, bags, NID_aes_256_cbc, iterations, "pw");
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  PKCS12* p12 = PKCS12_add_safes(all, 0);
  sk_PKCS7_pop_free(all, PKCS7_free);
  PKCS12_set_mac(p12, "pw", -1, nullptr, 0, 1, nullptr);
  unsigned char* out = nullptr;
  int len = i2d_PKCS12(p12, &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  PKCS12_free(p12);
  return der;
}

TEST_F(LintCli, IterationsAreBoundedForTheWholeFileNotPerSafe) {
  std::string p12 = dir_.write("safes.p12", many_safes(leaf_, 5, 300000));
  auto r = run_cli({"lint", p12, "--password", "pw", "--profile", "common"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("encryption asks for 300000 iterations (at most 1000000 are done for a "
                       "whole file; 900001 already)"),
            std::string::npos)
      << r.err;
}

}  // namespace

namespace {

// The same container with its integrity check asking for `iterations` (the MAC no longer
// matches, which a refusal before any hashing never gets to see).
std::string with_mac_iterations(const std::string& der, long iterations) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS12* p12 = d2i_PKCS12(nullptr, &p, static_cast<long>(der.size()));
  const ASN1_INTEGER* iter = nullptr;
  PKCS12_get0_mac(nullptr, nullptr, nullptr, &iter, p12);
  ASN1_INTEGER_set(const_cast<ASN1_INTEGER*>(iter), iterations);
  unsigned char* out = nullptr;
  int len = i2d_PKCS12(p12, &out);
  std::string patched(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  PKCS12_free(p12);
  return patched;
}

TEST_F(LintCli, AnIterationCountBeyondTheCapIsRefusedBeforeAnyHashing) {
  std::string p12 = dir_.write(
      "slow.p12", with_mac_iterations(make_pkcs12(leaf_, {&root_}, "s3cret"), 2147483647));
  auto start = std::chrono::steady_clock::now();
  auto r = run_cli({"lint", p12, "--password", "s3cret", "--profile", "common"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("integrity check asks for 2147483647 iterations (at most 1000000"),
            std::string::npos)
      << r.err;
  EXPECT_LT(seconds, 30.0);  // not a benchmark: the unbounded version ran for minutes
}

}  // namespace
