#include "trust/managed_source.h"

#include <gtest/gtest.h>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/source_reader.h"

namespace trust {
namespace {

using testing_support::make_cert;
using testing_support::read_file;

class ManagedSource : public ::testing::Test {
 protected:
  testing_support::TempHome home_;
  std::string target_ = home_.etc("cainfo.pem");
  testing_support::Issued a_ = make_cert({.common_name = "A", .is_ca = true});
  testing_support::Issued b_ = make_cert({.common_name = "B"}, &a_);
};

TEST_F(ManagedSource, AppendsOnlyCertificatesNotAlreadyThere) {
  std::string first = home_.write("in/a.der", a_.der());
  auto r = add_to_managed_source(first, target_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->added.size(), 1u);
  std::string both = home_.write("in/both.pem", a_.pem() + b_.key_pem() + b_.pem());
  r = add_to_managed_source(both, target_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->added.size(), 1u);
  EXPECT_EQ(r->added[0].sha256, b_.sha256());
  ASSERT_EQ(r->already_present.size(), 1u);
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0].block, 2);
  std::string stored = read_file(target_);
  EXPECT_EQ(stored.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(read_certificates(stored).certs.size(), 2u);
}

TEST_F(ManagedSource, FileWithoutCertificatesIsAnErrorAndWritesNothing) {
  std::string key_only = home_.write("in/key.pem", a_.key_pem());
  auto r = add_to_managed_source(key_only, target_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_NE(r.error().message.find("no certificate to add"), std::string::npos);
  EXPECT_FALSE(testing_support::file_exists(target_));
}

TEST_F(ManagedSource, RemovesBySha256OrSha1AndDeletesAnEmptiedFile) {
  home_.write(target_, a_.pem() + b_.pem());
  auto fp = parse_fingerprint(b_.sha256());
  ASSERT_TRUE(fp);
  auto r = remove_from_managed_sources({target_}, *fp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->files, std::vector<std::string>{target_});
  EXPECT_EQ(read_certificates(read_file(target_)).certs.size(), 1u);

  auto cert = Certificate::from_der(a_.der());
  auto sha1 = parse_fingerprint(cert->info().sha1);
  r = remove_from_managed_sources({target_}, *sha1);
  ASSERT_TRUE(r);
  EXPECT_FALSE(testing_support::file_exists(target_));
}

TEST_F(ManagedSource, UnknownFingerprintIsAnError) {
  home_.write(target_, a_.pem());
  auto r = remove_from_managed_sources({target_}, *parse_fingerprint(b_.sha256()));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no certificate with fingerprint " + b_.sha256()),
            std::string::npos);
  EXPECT_EQ(read_file(target_), a_.pem());
}

}  // namespace
}  // namespace trust
