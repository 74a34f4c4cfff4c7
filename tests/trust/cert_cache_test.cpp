// The certificate metadata cache: what is saved reads back whole (server names included), only the
// entries asked to be kept are written, and a damaged, foreign or older file is an empty cache,
// never an error and never a source of metadata.
#include "trust/cert_cache.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"

namespace trust {
namespace {

using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class CertCacheTest : public ::testing::Test {
 protected:
  static Sha256 key_of(const CertInfo& info) { return *sha256_from_hex(info.sha256); }
  CertInfo info_of(const testing_support::Issued& issued) {
    return Certificate::from_der(issued.der())->info();
  }

  TempHome home_;
  std::string path_ = home_.path() + "/cert.cache";
  CertInfo server_ = info_of(make_cert(
      {.common_name = "server", .dns_names = {"b.test", "a.test"}, .ip_addresses = {"::1"}}));
  CertInfo root_ = info_of(make_cert({.common_name = "Root", .is_ca = true}));
};

TEST_F(CertCacheTest, WhatIsSavedReadsBackWholeWithItsServerNames) {
  EXPECT_EQ(server_.server_names, (std::vector<std::string>{"DNS:a.test", "DNS:b.test", "IP:::1"}));
  CertCache cache;
  cache.insert(key_of(server_), server_);
  cache.insert(key_of(root_), root_);
  EXPECT_TRUE(cache.dirty());
  ASSERT_TRUE(cache.save(path_, {key_of(server_), key_of(root_)}));
  CertCache loaded = CertCache::load(path_);
  ASSERT_NE(loaded.find(server_.sha256), nullptr);
  EXPECT_EQ(*loaded.find(server_.sha256), server_);
  ASSERT_NE(loaded.find(root_.sha256), nullptr);
  EXPECT_EQ(*loaded.find(root_.sha256), root_);
  EXPECT_FALSE(loaded.dirty());
}

TEST_F(CertCacheTest, OnlyTheEntriesKeptAreWritten) {
  CertCache cache;
  cache.insert(key_of(server_), server_);
  cache.insert(key_of(root_), root_);
  ASSERT_TRUE(cache.save(path_, {key_of(root_)}));
  CertCache loaded = CertCache::load(path_);
  EXPECT_EQ(loaded.find(server_.sha256), nullptr);
  EXPECT_NE(loaded.find(root_.sha256), nullptr);
}

TEST_F(CertCacheTest, ReadOnDemandOnlyAtTheFirstLookup) {
  CertCache cache;
  cache.insert(key_of(root_), root_);
  ASSERT_TRUE(cache.save(path_, {key_of(root_)}));
  CertCache lazy = CertCache::on_demand(path_);
  ASSERT_TRUE(cache.save(home_.path() + "/other.cache", {}));
  std::filesystem::rename(home_.path() + "/other.cache", path_);  // emptied before the first use
  EXPECT_EQ(lazy.find(root_.sha256), nullptr);
}

TEST_F(CertCacheTest, ADamagedForeignOrOlderFileIsAnEmptyCache) {
  CertCache cache;
  cache.insert(key_of(root_), root_);
  ASSERT_TRUE(cache.save(path_, {key_of(root_)}));
  std::string good = read_file(path_);
  auto loads_nothing = [&](const std::string& content) {
    home_.write(path_, content);
    return CertCache::load(path_).find(root_.sha256) == nullptr;
  };
  EXPECT_TRUE(loads_nothing("trustagent-cert-cache 2\n" + good.substr(good.find('\n') + 1)));
  EXPECT_TRUE(loads_nothing("not a cache\n"));
  EXPECT_TRUE(loads_nothing(good.substr(0, good.find('\t'))));  // cut inside the first line
  // A line with a field that is not a number is skipped, not half-read.
  std::string bad_date = good;
  size_t field = 0, pos = 0;
  while (field < 3) pos = bad_date.find('\t', pos) + 1, ++field;
  bad_date.insert(pos, "x");
  EXPECT_TRUE(loads_nothing(bad_date));
  EXPECT_FALSE(loads_nothing(good));
}

}  // namespace
}  // namespace trust
