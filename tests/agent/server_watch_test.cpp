// The record of the servers' leaves and the warnings drawn from it, on generated certificates.
#include "agent/server_watch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/atomic_file.h"

namespace {

using agent::SeenLeaf;
using testing_support::make_cert;

constexpr int64_t kDay = 86400;

trust::CertInfo info_of(const testing_support::Issued& issued) {
  return trust::Certificate::from_der(issued.der())->info();
}

trust::Anchor anchor_of(const trust::CertInfo& info) { return trust::Anchor{1, info, {"x.pem"}}; }

TEST(ServerWatch, RecordsOneLinePerRoleAndRewritesOnlyOnChange) {
  testing_support::TempHome home;
  trust::Layout layout = trust::Layout::at(home.path());
  ASSERT_TRUE(trust::make_directories(layout.state_dir));
  auto a = info_of(make_cert({.common_name = "central.example"}));
  auto b = info_of(make_cert({.common_name = "ns.example"}));
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kCentral, "central:443",
                                                a, "", 1));
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kConfigured,
                                                "[::1]:8443", b, "", 1));
  std::string path = layout.state_dir + "/servers.state";
  struct stat first {};
  ASSERT_EQ(::stat(path.c_str(), &first), 0);
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kCentral, "central:443",
                                                a, "", 1));
  struct stat again {};
  ASSERT_EQ(::stat(path.c_str(), &again), 0);
  EXPECT_EQ(again.st_ino, first.st_ino) << "an unchanged leaf must not rewrite the file";

  auto seen = agent::load_seen_leaves(layout);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(agent::role_name(seen[0].role), std::string("central"));
  EXPECT_EQ(seen[0].sha256, a.sha256);
  EXPECT_EQ(seen[0].not_after, a.not_after);
  EXPECT_EQ(seen[1].server, "[::1]:8443");
  EXPECT_EQ(seen[1].subject, b.subject);

  // The central server now presents b: its line is replaced, the other kept.
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kCentral, "central:443",
                                                b, "", 2));
  seen = agent::load_seen_leaves(layout);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].sha256, b.sha256);
}

TEST(ServerWatch, WarnsForALeafNearExpiryThatNoAnchorCoversOrSucceeds) {
  int64_t now = std::time(nullptr);
  auto soon = info_of(make_cert({.common_name = "central.example", .not_after_days = 5}));
  auto later = info_of(make_cert({.common_name = "central.example", .not_after_days = 300}));
  auto other = info_of(make_cert({.common_name = "other.example", .not_after_days = 300}));
  std::vector<SeenLeaf> seen = {
      {agent::ServerRole::kCentral, "central:443", soon.sha256, soon.subject, soon.not_after}};

  auto warnings = agent::seen_leaf_warnings(seen, {anchor_of(other)}, {}, now);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "expires_soon_no_reserve");
  EXPECT_EQ(warnings[0].sha256, soon.sha256);
  EXPECT_NE(warnings[0].message.find("the central server central:443 presents"), std::string::npos)
      << warnings[0].message;

  // The leaf is itself an anchor (its own warnings cover it), or a later one of its name is known.
  EXPECT_TRUE(agent::seen_leaf_warnings(seen, {anchor_of(soon)}, {}, now).empty());
  EXPECT_TRUE(agent::seen_leaf_warnings(seen, {anchor_of(later)}, {}, now).empty());
  // 31 days out is not yet "soon".
  EXPECT_TRUE(agent::seen_leaf_warnings(seen, {}, {}, soon.not_after - 31 * kDay).empty());
  // Past its expiry the message says so.
  auto expired = agent::seen_leaf_warnings(seen, {}, {}, soon.not_after + kDay);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired[0].message.find("which expired on"), std::string::npos) << expired[0].message;
}

TEST(ServerWatch, KeepsWhatVerifiedConnectionsShowedInUseWithWhenItWasFirstSeen) {
  testing_support::TempHome home;
  trust::Layout layout = trust::Layout::at(home.path());
  auto leaf = info_of(make_cert({.common_name = "site.example"}));
  auto anchor = info_of(make_cert({.common_name = "Root", .is_ca = true}));
  // Another host (no role): what it showed is in use, but it is no server of the agent's.
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kNone, "site:443", leaf,
                                                anchor.sha256, 100));
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kNone, "site:443", leaf,
                                                anchor.sha256, 200));
  auto seen = agent::load_servers_seen(layout);
  EXPECT_TRUE(seen.leaves.empty());
  ASSERT_EQ(seen.in_use.size(), 2u);
  EXPECT_EQ(seen.in_use[0], (trust::SeenInUse{leaf.sha256, 100, 100})) << "first seen is kept";
  EXPECT_EQ(seen.in_use[1], (trust::SeenInUse{anchor.sha256, 100, 100}));
  // An hour later a sighting moves last_seen.
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kNone, "site:443", leaf,
                                                "", 100 + 3600));
  EXPECT_EQ(agent::load_servers_seen(layout).in_use[0],
            (trust::SeenInUse{leaf.sha256, 100, 100 + 3600}));

  // Bounded: the most recently seen records stay.
  for (int i = 0; i < 100; ++i) {
    auto other = info_of(make_cert({.common_name = "n" + std::to_string(i)}));
    ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kNone, "n:1", other,
                                                  "", 1000 + i));
  }
  seen = agent::load_servers_seen(layout);
  ASSERT_EQ(seen.in_use.size(), agent::kMaxInUseRecords);
  // The least recently seen went first.
  for (const auto& u : seen.in_use) EXPECT_GE(u.last_seen, 1000 + 100 - 64);
}

// A server name from a URL or a policy, or a subject, cannot start a record of its own: a forged
// "in_use" line would count as a sighting and could retire a certificate.
TEST(ServerWatch, NamesAndSubjectsCannotForgeARecord) {
  testing_support::TempHome home;
  trust::Layout layout = trust::Layout::at(home.path());
  auto leaf = info_of(make_cert({.common_name = "site.example"}));
  std::string forged = "h:1\nin_use\t" + std::string(64, 'a') + "\t1\t1\nx";
  ASSERT_TRUE(agent::record_verified_connection(layout, agent::ServerRole::kConfigured, forged,
                                                leaf, "", 100));
  auto seen = agent::load_servers_seen(layout);
  ASSERT_EQ(seen.in_use.size(), 1u);
  EXPECT_EQ(seen.in_use[0].sha256, leaf.sha256);
  ASSERT_EQ(seen.leaves.size(), 1u);
  EXPECT_EQ(seen.leaves[0].server.find('\n'), std::string::npos) << seen.leaves[0].server;
}

TEST(ServerWatch, WarnsWhileAServerStillPresentsACertificateItsActiveReserveReplaced) {
  int64_t now = std::time(nullptr);
  auto old_leaf = info_of(make_cert({.common_name = "ns.example", .not_after_days = 200}));
  std::vector<SeenLeaf> seen = {{agent::ServerRole::kConfigured, "ns:443", old_leaf.sha256,
                                 old_leaf.subject, old_leaf.not_after}};
  trust::Reserve r;
  r.sha256 = std::string(64, 'a');
  r.replaces = {"sha256:" + old_leaf.sha256};
  r.activate_at = now + kDay;
  EXPECT_TRUE(agent::seen_leaf_warnings(seen, {}, {r}, now).empty()) << "still pending";
  r.activate_at = now - kDay;
  auto warnings = agent::seen_leaf_warnings(seen, {}, {r}, now);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].code, "server_not_switched");
  EXPECT_NE(warnings[0].message.find(old_leaf.sha256), std::string::npos) << warnings[0].message;
  r.replaces = {"sha256:" + std::string(64, 'b')};
  EXPECT_TRUE(agent::seen_leaf_warnings(seen, {}, {r}, now).empty()) << "replaces another one";
}

}  // namespace
