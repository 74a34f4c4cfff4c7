// The anchor warnings on generated certificates, with the clock passed in: which codes fire, and
// which are information only (issue 13, items 3 and 11).
#include "trust/anchor_warnings.h"

#include <gtest/gtest.h>

#include <ctime>
#include <set>

#include "tests/support/cert_factory.h"
#include "trust/server_identity.h"

namespace {

using testing_support::make_cert;

constexpr int64_t kDay = 86400;

trust::Anchor anchor(const testing_support::Issued& issued, const std::string& source) {
  return trust::Anchor{1, trust::Certificate::from_der(issued.der())->info(), {source}};
}

std::set<std::string> codes(const std::vector<trust::AnchorWarning>& warnings, bool information) {
  std::set<std::string> out;
  for (const auto& w : warnings) {
    if (w.information == information) out.insert(w.code);
  }
  return out;
}

TEST(AnchorWarnings, ServerCertificateRulesAreNotAppliedToCertificateAuthorities) {
  int64_t now = std::time(nullptr);
  std::vector<trust::Reserve> none;
  trust::WarningContext context{none, 3600, 300, {}, now};
  auto corporate_root =
      make_cert({.common_name = "Corp Root", .is_ca = true, .not_after_days = 3650});
  auto long_server = make_cert({.common_name = "server", .not_after_days = 3650});
  EXPECT_TRUE(trust::anchor_warnings({anchor(corporate_root, "cainfo.pem")}, context).empty());
  EXPECT_EQ(codes(trust::anchor_warnings({anchor(long_server, "cainfo.pem")}, context), false),
            std::set<std::string>{"validity_over_397_days"});
}

TEST(AnchorWarnings, AnExpiredRootOnlyTheSystemBundleHoldsIsInformation) {
  int64_t now = std::time(nullptr);
  std::vector<trust::Reserve> none;
  const std::string system = "/etc/ssl/certs/ca-certificates.crt";
  trust::WarningContext context{none, 3600, 300, {system}, now};
  auto old_root = make_cert(
      {.common_name = "Old Root", .is_ca = true, .not_before_days = -900, .not_after_days = -5});
  auto in_system = trust::anchor_warnings({anchor(old_root, system)}, context);
  EXPECT_EQ(codes(in_system, true), std::set<std::string>{"system_anchor_expired"});
  EXPECT_TRUE(codes(in_system, false).empty());
  // The same root named by the administrator is theirs to fix.
  auto theirs = trust::anchor_warnings({anchor(old_root, "/etc/corp/ca.pem")}, context);
  EXPECT_EQ(codes(theirs, false), std::set<std::string>{"anchor_expired"});
}

TEST(AnchorWarnings, TooSoonIsJudgedFromWhenTheReserveArrived) {
  int64_t now = std::time(nullptr);
  auto reserve = make_cert({.common_name = "next", .not_after_days = 300});
  trust::Reserve r;
  r.sha256 = reserve.sha256();
  r.activate_at = now + 600;  // ten minutes from now
  r.arrived_at = now - 3 * kDay;
  std::vector<trust::Reserve> reserves{r};
  trust::WarningContext context{reserves, 3600, 300, {}, now};
  auto a = anchor(reserve, "cainfo-reserve.pem");
  EXPECT_TRUE(trust::anchor_warnings({a}, context).empty()) << "arrived three days early";
  reserves[0].arrived_at = now - 1800;  // 40 minutes before activation; 3900 s are needed
  EXPECT_EQ(codes(trust::anchor_warnings({a}, context), false),
            std::set<std::string>{"reserve_activation_too_soon"});
  reserves[0].arrived_at = 0;  // recorded before arrival times were kept: no guess
  EXPECT_TRUE(trust::anchor_warnings({a}, context).empty());
}

// "The same server" is one rule (trust/server_identity.h): the rollover takes a certificate with a
// new subject but the same names as the successor, so the warnings must too, or `status` would
// warn about a server whose renewal is already in place.
TEST(AnchorWarnings, ARenewalWithANewSubjectButTheSameNamesIsASuccessor) {
  int64_t now = std::time(nullptr);
  std::vector<trust::Reserve> none;
  trust::WarningContext context{none, 3600, 300, {}, now};
  auto expiring = make_cert(
      {.common_name = "server 2026", .not_after_days = 10, .dns_names = {"a.test", "b.test"}});
  auto renewal = make_cert(
      {.common_name = "server 2027", .not_after_days = 300, .dns_names = {"b.test", "a.test"}});
  auto sharing_one_alias =
      make_cert({.common_name = "other", .not_after_days = 300, .dns_names = {"a.test", "c.test"}});
  auto renewed = trust::anchor_warnings(
      {anchor(expiring, "cainfo.pem"), anchor(renewal, "cainfo.pem")}, context);
  EXPECT_EQ(codes(renewed, false).count("expires_soon_no_reserve"), 0u);
  auto not_renewed = trust::anchor_warnings(
      {anchor(expiring, "cainfo.pem"), anchor(sharing_one_alias, "cainfo.pem")}, context);
  EXPECT_EQ(codes(not_renewed, false).count("expires_soon_no_reserve"), 1u);
}

// A leaf sharing a CA's names is not its successor: a reserve cannot take over (and later retire)
// a root by copying the names a root happens to carry.
TEST(AnchorWarnings, ALeafWithTheNamesOfACaIsNoSuccessorOfIt) {
  int64_t now = std::time(nullptr);
  std::vector<trust::Reserve> none;
  trust::WarningContext context{none, 3600, 300, {}, now};
  auto root = make_cert({.common_name = "Corp Root CA",
                         .is_ca = true,
                         .not_after_days = 10,
                         .dns_names = {"localhost"},
                         .ip_addresses = {"127.0.0.1"}});
  auto leaf = make_cert({.common_name = "evil",
                         .not_after_days = 60,
                         .dns_names = {"localhost"},
                         .ip_addresses = {"127.0.0.1"}});
  auto root_info = trust::Certificate::from_der(root.der())->info();
  auto leaf_info = trust::Certificate::from_der(leaf.der())->info();
  EXPECT_FALSE(trust::same_server(root_info, leaf_info));
  auto warnings =
      trust::anchor_warnings({anchor(root, "cainfo.pem"), anchor(leaf, "cainfo.pem")}, context);
  EXPECT_EQ(codes(warnings, false).count("expires_soon_no_reserve"), 1u);
}

}  // namespace
