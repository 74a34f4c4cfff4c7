// The record of the last merge: what is saved loads back as it was, a damaged record is no record
// (the next merge regenerates), and a record of the format before the server names asks for one
// regeneration, so the metadata cache is rebuilt with them.
#include "trust/merge_state.h"

#include <gtest/gtest.h>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/merge.h"

namespace trust {
namespace {

using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

MergeState sample() {
  MergeState s;
  SourceState a;
  a.report = {"/etc/a.pem", "a.pem", "", SourceStatus::kOk, "", 3};
  a.stamp = {1, 2, 300, 4000, 5000, 0100644, 0};
  a.content_sha256 = std::string(64, 'a');
  SourceState b;
  b.report = {"/etc/certs/b.pem",   "b.pem", "/etc/certs", SourceStatus::kRefused,
              "writable by others", 0};
  s.sources = {a, b};
  s.merged_sha256 = std::string(64, 'c');
  s.merged_stamp = {7, 8, 900, 1000, 1100, 0100644, 0};
  s.index_stamp = {7, 9, 90, 1000, 1100, 0100644, 0};
  s.anchors = 3;
  s.duplicates = 1;
  s.skipped = {{"/etc/a.pem", 2, "not a certificate"}};
  s.not_certificates = {{"/etc/certs/README", 0, "no certificate"}};
  return s;
}

TEST(MergeState, WhatIsSavedLoadsBackAsItWas) {
  TempHome home;
  std::string path = home.path() + "/merge.state";
  MergeState saved = sample();
  ASSERT_TRUE(save_merge_state(path, saved));
  auto loaded = load_merge_state(path);
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->sources.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(loaded->sources[i].report.path, saved.sources[i].report.path);
    EXPECT_EQ(loaded->sources[i].report.display, saved.sources[i].report.display);
    EXPECT_EQ(loaded->sources[i].report.directory, saved.sources[i].report.directory);
    EXPECT_EQ(loaded->sources[i].report.status, saved.sources[i].report.status);
    EXPECT_EQ(loaded->sources[i].report.anchors, saved.sources[i].report.anchors);
    EXPECT_EQ(loaded->sources[i].stamp, saved.sources[i].stamp);
    EXPECT_EQ(loaded->sources[i].content_sha256, saved.sources[i].content_sha256);
  }
  EXPECT_EQ(loaded->merged_sha256, saved.merged_sha256);
  EXPECT_EQ(loaded->merged_stamp, saved.merged_stamp);
  EXPECT_EQ(loaded->index_stamp, saved.index_stamp);
  EXPECT_EQ(loaded->anchors, 3);
  EXPECT_EQ(loaded->duplicates, 1);
  ASSERT_EQ(loaded->skipped.size(), 1u);
  EXPECT_EQ(loaded->skipped[0].block, 2);
  ASSERT_EQ(loaded->not_certificates.size(), 1u);
  EXPECT_EQ(loaded->not_certificates[0].file, "/etc/certs/README");
  EXPECT_FALSE(loaded->metadata_outdated);
}

TEST(MergeState, ADamagedRecordIsNoRecord) {
  TempHome home;
  std::string path = home.path() + "/merge.state";
  ASSERT_TRUE(save_merge_state(path, sample()));
  std::string good = read_file(path);
  home.write(path, "something else\n" + good.substr(good.find('\n') + 1));
  EXPECT_FALSE(load_merge_state(path));
  home.write(path, good.substr(0, good.find("merged")));  // cut before the store's line
  EXPECT_FALSE(load_merge_state(path));
}

TEST(MergeState, AnUpgradeFromTheFormatBeforeServerNamesRebuildsTheMetadataOnce) {
  TempHome home;
  Layout layout = Layout::at(home.path());
  home.write(layout.cainfo, make_cert({.common_name = "s", .dns_names = {"s.test"}}).pem());
  std::vector<SourceSpec> specs = {{layout.cainfo, "cainfo.pem"}};
  ASSERT_TRUE(update_store(layout, specs, {}));
  // What 0.5.0 left: its record (no "names" mark) and a cache without server names.
  std::string record = read_file(layout.merge_state);
  size_t mark = record.find(" names\n");
  ASSERT_NE(mark, std::string::npos) << record;
  home.write(layout.merge_state, record.substr(0, mark) + record.substr(mark + 6));
  std::string cache = read_file(layout.cert_cache);
  std::string old_cache = "trustagent-cert-cache 2\n" + cache.substr(cache.find('\n') + 1);
  home.write(layout.cert_cache, old_cache);
  std::string store = read_file(layout.merged);

  auto upgraded = update_store(layout, specs, {});
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  EXPECT_FALSE(upgraded->regenerated);  // the same bytes: no hook runs for an upgrade
  EXPECT_EQ(read_file(layout.merged), store);
  EXPECT_EQ(read_file(layout.cert_cache).rfind("trustagent-cert-cache 3\n", 0), 0u);
  EXPECT_NE(read_file(layout.cert_cache).find("\tDNS:s.test\n"), std::string::npos);
  // Still format 1, which 0.2.0 to 0.5.0 read too: going back and forth costs no regeneration.
  EXPECT_EQ(read_file(layout.merge_state).rfind("trustagent-merge-state 1\n", 0), 0u);
  EXPECT_NE(read_file(layout.merge_state).find(" names\n"), std::string::npos);
  auto stamp_before = read_file(layout.cert_cache);
  auto next = update_store(layout, specs, {});
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_FALSE(next->regenerated);
  EXPECT_EQ(read_file(layout.cert_cache), stamp_before);
}

// 0.6.0 and 0.7.0 marked the server names with a format 2 header: read as current.
TEST(MergeState, ARecordOf070IsCurrent) {
  TempHome home;
  std::string path = home.path() + "/merge.state";
  ASSERT_TRUE(save_merge_state(path, sample()));
  std::string record = read_file(path);
  size_t mark = record.find(" names\n");
  ASSERT_NE(mark, std::string::npos);
  home.write(path, "trustagent-merge-state 2\n" +
                       record.substr(record.find('\n') + 1, mark - record.find('\n') - 1) +
                       record.substr(mark + 6));
  auto loaded = load_merge_state(path);
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->metadata_outdated);
}

}  // namespace
}  // namespace trust
