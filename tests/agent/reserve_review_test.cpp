// `reserve add` checks what klsetsrvcert checked at install time (issue 16, item 5): the common
// certificate requirements, and whether a CA-issued reserve chains to the current root.
#include <gtest/gtest.h>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using testing_support::Issued;
using testing_support::KeyKind;
using testing_support::make_cert;
using testing_support::run_cli;

class ReserveReview : public ::testing::Test {
 protected:
  void SetUp() override {
    home_.write("etc/cainfo.pem", root_.pem() + current_.pem());
    ASSERT_EQ(run({"merge"}).exit_code, 0);
  }
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  testing_support::CliResult add(const std::string& name, const std::string& pem,
                                 bool force = false) {
    std::vector<std::string> args = {"reserve", "add", home_.write("in/" + name, pem)};
    if (force) args.push_back("--force");
    return run(args);
  }

  testing_support::TempHome home_;
  Issued root_ = make_cert({.common_name = "Corp Root", .is_ca = true});
  Issued current_ = make_cert({.common_name = "ns.example", .dns_names = {"ns.example"}}, &root_);
};

TEST_F(ReserveReview, ACertificateBelowTheRequirementsIsRefusedUnlessForced) {
  struct Case {
    const char* name;
    testing_support::CertSpec spec;
    const char* code;
  } cases[] = {
      {"rsa1024.pem", {.common_name = "ns.example", .key = KeyKind::kRsa1024}, "key_too_small"},
      {"sha1.pem", {.common_name = "ns.example", .digest = "sha1"}, "signature_not_sha2"},
      {"long.pem", {.common_name = "ns.example", .not_after_days = 500}, "validity_over_397_days"},
  };
  for (const auto& c : cases) {
    Issued cert = make_cert(c.spec);
    auto refused = add(c.name, cert.pem());
    EXPECT_EQ(refused.exit_code, 2) << c.name << ": " << refused.err;
    EXPECT_NE(refused.err.find(c.code), std::string::npos) << refused.err;
    EXPECT_EQ(run({"reserve", "list", "--json"}).out.find(cert.sha256()), std::string::npos);
    auto forced = add(c.name, cert.pem(), true);
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_NE(forced.err.find("warning: --force: "), std::string::npos) << forced.err;
  }
}

TEST_F(ReserveReview, ACaIssuedReserveIsComparedWithTheCurrentRoot) {
  Issued next = make_cert({.common_name = "ns.example", .dns_names = {"ns.example"}}, &root_);
  auto same = add("next.pem", next.pem());
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(
      same.err.find("chains to the same root as the current certificate " + current_.sha256()),
      std::string::npos)
      << same.err;

  Issued other_root = make_cert({.common_name = "Other Root", .is_ca = true});
  Issued elsewhere =
      make_cert({.common_name = "ns.example", .dns_names = {"ns.example"}}, &other_root);
  auto incomplete = add("elsewhere.pem", elsewhere.pem());
  EXPECT_EQ(incomplete.exit_code, 2) << incomplete.err;
  EXPECT_NE(incomplete.err.find("chain_incomplete"), std::string::npos) << incomplete.err;
  auto differs = add("elsewhere-chain.pem", elsewhere.pem() + other_root.pem());
  ASSERT_EQ(differs.exit_code, 0) << differs.err;
  EXPECT_NE(differs.err.find("does NOT chain to the same root"), std::string::npos) << differs.err;
}

// Review 2: a file with its root first skipped the leaf's checks, and a root that only shares
// the current root's name was "the same root".
TEST_F(ReserveReview, TheLeafIsCheckedWhereverItIsAndRootsAreComparedByFingerprint) {
  Issued weak = make_cert({.common_name = "ns.example", .digest = "sha1"}, &root_);
  auto root_first = add("root-first.pem", root_.pem() + weak.pem());
  EXPECT_EQ(root_first.exit_code, 2) << root_first.err;
  EXPECT_NE(root_first.err.find("signature_not_sha2"), std::string::npos) << root_first.err;

  Issued namesake = make_cert({.common_name = "Corp Root", .is_ca = true});  // another key
  Issued under = make_cert({.common_name = "ns.example", .dns_names = {"ns.example"}}, &namesake);
  auto differs = add("namesake.pem", namesake.pem() + under.pem());
  ASSERT_EQ(differs.exit_code, 0) << differs.err;
  EXPECT_NE(differs.err.find("does NOT chain to the same root"), std::string::npos) << differs.err;
  EXPECT_EQ(differs.err.find("chains to the same root"), std::string::npos) << differs.err;
}

}  // namespace
