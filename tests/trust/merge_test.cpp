#include "trust/merge.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/source_reader.h"

namespace trust {
namespace {

using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class Merge : public ::testing::Test {
 protected:
  Result<MergeReport> merge(MergeOptions options = {}) {
    std::vector<SourceSpec> specs = {{layout_.cainfo, "cainfo.pem"},
                                     {layout_.cainfo_ss, "cainfo-ss.pem"},
                                     {layout_.cainfo_reserve, "cainfo-reserve.pem"}};
    for (const auto& f : ca_files_) specs.push_back({f, f});
    return update_store(layout_, specs, options);
  }
  std::vector<std::string> store_ders() {
    std::vector<std::string> out;
    for (const auto& c : read_certificates(read_file(layout_.merged)).certs) out.push_back(c.der);
    return out;
  }
  struct stat stat_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st;
  }

  TempHome home_;
  Layout layout_ = Layout::at(home_.path());
  std::vector<std::string> ca_files_;
  Issued a_ = make_cert({.common_name = "Anchor A", .is_ca = true});
  Issued b_ = make_cert({.common_name = "Anchor B", .is_ca = true});
  Issued c_ = make_cert({.common_name = "Anchor C"}, &a_);
};

TEST_F(Merge, KeepsSourceOrderAndFirstPositionOfDuplicates) {
  home_.write(layout_.cainfo, a_.pem() + b_.pem());
  home_.write(layout_.cainfo_ss, b_.pem() + c_.pem());
  ca_files_ = {home_.write("corp/ca.pem", c_.pem() + a_.pem())};
  auto r = merge();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->regenerated);
  EXPECT_EQ(r->anchors, 3);
  EXPECT_EQ(r->duplicates, 3);
  EXPECT_EQ(store_ders(), (std::vector<std::string>{a_.der(), b_.der(), c_.der()}));
  EXPECT_EQ(r->added.size(), 3u);
  EXPECT_TRUE(r->removed.empty());
  EXPECT_TRUE(r->clean());

  auto anchors = load_anchors(layout_);
  ASSERT_TRUE(anchors);
  ASSERT_EQ(anchors->size(), 3u);
  EXPECT_EQ((*anchors)[0].info.subject, "CN=Anchor A,O=trustagent tests");
  EXPECT_EQ((*anchors)[0].sources, (std::vector<std::string>{"cainfo.pem", ca_files_[0]}));
  EXPECT_EQ((*anchors)[1].sources, (std::vector<std::string>{"cainfo.pem", "cainfo-ss.pem"}));
  EXPECT_EQ((*anchors)[2].index, 3);
}

TEST_F(Merge, AnnotatesEveryAnchor) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  std::string store = read_file(layout_.merged);
  EXPECT_NE(store.find("# [1] CN=Anchor A,O=trustagent tests\n"), std::string::npos);
  EXPECT_NE(store.find("#   sources:  cainfo.pem\n"), std::string::npos);
  EXPECT_NE(store.find("#   sha256:   " + a_.sha256() + "\n"), std::string::npos);
  EXPECT_NE(store.find("#   validity: "), std::string::npos);
}

// A kill between writing a temporary and renaming it leaves the temporary; the next run under
// the lock sweeps it wherever the agent writes (var/policies and var/ as well as etc/).
TEST_F(Merge, TemporariesAKillLeftAreSweptEverywhereTheAgentWrites) {
  home_.write(layout_.cainfo, a_.pem());
  std::vector<std::string> left = {home_.write("var/policies/.aaaa-1.xml.tmp-1234", "<Policy"),
                                   home_.write("var/.retired.pem.tmp-99", "-----BEGIN"),
                                   home_.write("var/state/.refresh-record.json.tmp-7", "{"),
                                   home_.write("etc/.cainfo.pem.tmp-5", "x")};
  std::string kept = home_.write("var/policies/aaaa-1.xml", "<Policy/>");
  ASSERT_TRUE(merge());
  for (const auto& f : left) EXPECT_FALSE(testing_support::file_exists(f)) << f;
  EXPECT_TRUE(testing_support::file_exists(kept));
}

TEST_F(Merge, NothingChangedMeansNothingWritten) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  auto before = stat_of(layout_.merged);
  auto state_before = stat_of(layout_.merge_state);
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->regenerated);
  EXPECT_EQ(r->anchors, 1);
  EXPECT_EQ(stat_of(layout_.merged).st_ino, before.st_ino);
  EXPECT_EQ(stat_of(layout_.merge_state).st_ino, state_before.st_ino);
}

TEST_F(Merge, TouchedButIdenticalSourceDoesNotRegenerate) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  auto before = stat_of(layout_.merged);
  home_.write(layout_.cainfo, a_.pem());  // rewritten: new mtime, same bytes
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->regenerated);
  EXPECT_EQ(stat_of(layout_.merged).st_ino, before.st_ino);
}

TEST_F(Merge, ChangedSourceRegeneratesAndReportsAddedAndRemoved) {
  home_.write(layout_.cainfo, a_.pem() + b_.pem());
  ASSERT_TRUE(merge());
  home_.write(layout_.cainfo, a_.pem() + c_.pem());
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->regenerated);
  EXPECT_EQ(r->why, "cainfo.pem changed");
  ASSERT_EQ(r->added.size(), 1u);
  EXPECT_EQ(r->added[0].sha256, c_.sha256());
  ASSERT_EQ(r->removed.size(), 1u);
  EXPECT_EQ(r->removed[0].sha256, b_.sha256());
  EXPECT_EQ(r->removed[0].subject, "CN=Anchor B,O=trustagent tests");
}

TEST_F(Merge, HandEditedStoreIsRestoredWithANote) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  std::string good = read_file(layout_.merged);
  home_.write(layout_.merged, good + b_.pem());
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->regenerated);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("edited by hand"), std::string::npos);
  EXPECT_EQ(read_file(layout_.merged), good);
}

TEST_F(Merge, DeletedStoreOrIndexIsRegenerated) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  std::filesystem::remove(layout_.merged);
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->why, "the merged store is missing");
  std::filesystem::remove(layout_.merged_index);
  r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->why, "the store index is missing");
  EXPECT_EQ(store_ders(), (std::vector<std::string>{a_.der()}));
}

TEST_F(Merge, ForceAlwaysRegenerates) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  auto r = merge({.force = true});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->regenerated);
  EXPECT_TRUE(r->added.empty());
}

TEST_F(Merge, MissingSourcesAreReportedNotFatal) {
  home_.write(layout_.cainfo, a_.pem());
  ca_files_ = {home_.path() + "/not-there.pem"};
  auto r = merge();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->sources.size(), 4u);
  EXPECT_EQ(r->sources[1].status, SourceStatus::kMissing);
  EXPECT_EQ(r->sources[3].status, SourceStatus::kMissing);
  EXPECT_TRUE(r->clean());
}

TEST_F(Merge, AppearingSourceRegenerates) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  home_.write(layout_.cainfo_ss, b_.pem());
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->why, "cainfo-ss.pem appeared");
  EXPECT_EQ(r->anchors, 2);
}

TEST_F(Merge, NeverReplacesAStoreWithAnAccidentallyEmptyOne) {
  home_.write(layout_.cainfo, a_.pem() + b_.pem());
  ASSERT_TRUE(merge());
  std::string good = read_file(layout_.merged);
  for (std::string broken : {std::string(), std::string("garbage\n"), b_.key_pem()}) {
    home_.write(layout_.cainfo, broken);
    auto r = merge();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kBadInput);
    EXPECT_NE(r.error().message.find("refusing to drop them"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(read_file(layout_.merged), good);
  }
  // Without the record of the last merge, the store-wide rule still holds.
  std::filesystem::remove(layout_.merge_state);
  auto no_state = merge();
  ASSERT_FALSE(no_state);
  EXPECT_NE(
      no_state.error().message.find("refusing to replace a store of 2 anchors with an empty one"),
      std::string::npos);
  EXPECT_EQ(read_file(layout_.merged), good);
  auto allowed = merge({.allow_empty = true});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->anchors, 0);
  EXPECT_EQ(allowed->removed.size(), 2u);
}

TEST_F(Merge, OneSourceLosingAllItsAnchorsKeepsTheStore) {
  home_.write(layout_.cainfo, a_.pem() + b_.pem());
  home_.write(layout_.cainfo_ss, c_.pem());
  ASSERT_TRUE(merge());
  std::string good = read_file(layout_.merged);
  home_.write(layout_.cainfo, "");  // truncated by a broken upgrade
  auto r = merge();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kBadInput);
  EXPECT_NE(r.error().message.find("cainfo.pem held 2 certificates at the last merge and now holds "
                                   "none; refusing to drop them"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(read_file(layout_.merged), good);
  auto allowed = merge({.allow_empty = true});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->anchors, 1);
}

TEST_F(Merge, AllSourcesGoneIsAnIntentionallyEmptyStore) {
  home_.write(layout_.cainfo, a_.pem());
  ASSERT_TRUE(merge());
  std::filesystem::remove(layout_.cainfo);
  auto r = merge();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->anchors, 0);
  EXPECT_TRUE(store_ders().empty());
}

TEST_F(Merge, WorldWritableSourceIsRefusedOthersStillMerge) {
  home_.write(layout_.cainfo, a_.pem());
  std::string bad = home_.write("corp/ca.pem", b_.pem());
  ::chmod(bad.c_str(), 0666);
  ca_files_ = {bad};
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(store_ders(), (std::vector<std::string>{a_.der()}));
  EXPECT_EQ(r->sources[3].status, SourceStatus::kRefused);
  EXPECT_NE(r->sources[3].reason.find("writable by group or others (mode 0666"), std::string::npos);
  EXPECT_FALSE(r->clean());
}

TEST_F(Merge, SourceInAGroupWritableDirectoryIsRefused) {
  home_.write(layout_.cainfo, a_.pem());
  std::string bad = home_.write("shared/ca.pem", b_.pem());
  ::chmod((home_.path() + "/shared").c_str(), 0775);
  ca_files_ = {bad};
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sources[3].status, SourceStatus::kRefused);
  EXPECT_NE(r->sources[3].reason.find("directory " + home_.path() + "/shared"), std::string::npos);
}

TEST_F(Merge, SymlinkToAWorldWritableFileIsRefused) {
  home_.write(layout_.cainfo, a_.pem());
  std::string target = home_.write("corp/real.pem", b_.pem());
  ::chmod(target.c_str(), 0666);
  std::string link = home_.path() + "/corp/link.pem";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ca_files_ = {link};
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sources[3].status, SourceStatus::kRefused);
  EXPECT_NE(r->sources[3].reason.find("symlink target " + target), std::string::npos);
}

TEST_F(Merge, SourceOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  home_.write(layout_.cainfo, a_.pem());
  std::string other = home_.write("corp/other.pem", b_.pem());
  ASSERT_EQ(::chown(other.c_str(), 65534, 65534), 0);
  ca_files_ = {other};
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sources[3].status, SourceStatus::kRefused);
  EXPECT_NE(r->sources[3].reason.find("owned by uid 65534"), std::string::npos);
}

TEST_F(Merge, FixingARefusedSourceBringsItBack) {
  home_.write(layout_.cainfo, a_.pem());
  std::string f = home_.write("corp/ca.pem", b_.pem());
  ::chmod(f.c_str(), 0666);
  ca_files_ = {f};
  ASSERT_TRUE(merge());
  ::chmod(f.c_str(), 0644);
  auto r = merge();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->regenerated);
  EXPECT_EQ(r->anchors, 2);
}

TEST_F(Merge, SkippedBlocksAreReportedEveryTimeUntilFixed) {
  home_.write(layout_.cainfo, a_.pem() + b_.key_pem());
  auto first = merge();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->skipped.size(), 1u);
  EXPECT_EQ(first->skipped[0].file, "cainfo.pem");
  EXPECT_EQ(first->skipped[0].block, 2);
  auto again = merge();
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->regenerated);
  EXPECT_EQ(again->skipped.size(), 1u);
  EXPECT_FALSE(again->clean());
}

TEST_F(Merge, LostCacheIsRebuiltFromTheCertificates) {
  home_.write(layout_.cainfo, a_.pem() + b_.pem());
  ASSERT_TRUE(merge());
  std::filesystem::remove(layout_.cert_cache);
  auto anchors = load_anchors(layout_);  // falls back to the store itself
  ASSERT_TRUE(anchors);
  EXPECT_EQ((*anchors)[1].info.subject, "CN=Anchor B,O=trustagent tests");
  ASSERT_TRUE(merge({.force = true}));
  EXPECT_TRUE(testing_support::file_exists(layout_.cert_cache));
}

TEST_F(Merge, StaleTemporariesAreSwept) {
  home_.write(layout_.cainfo, a_.pem());
  std::string stale = home_.write("etc/.cainfo-merged.pem.tmp-abc123", "half a store");
  ASSERT_TRUE(merge());
  EXPECT_FALSE(testing_support::file_exists(stale));
}

}  // namespace
}  // namespace trust
