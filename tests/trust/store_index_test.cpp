// The merged store's index and the verifier's lookups through it: what is rendered loads back, a
// verification parses only the anchors of the issuer's name, and an index that does not describe
// the store on disk is never trusted (the store itself is read instead).
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"
#include "trust/anchor_index.h"
#include "trust/merge.h"
#include "trust/store_index.h"

namespace trust {
namespace {

using testing_support::Issued;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class StoreIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pem;
    for (int i = 0; i < 20; ++i) {
      roots_.push_back(make_cert({.common_name = "Root " + std::to_string(i), .is_ca = true}));
      pem += roots_.back().pem();
    }
    home_.write(layout_.cainfo, pem);
    auto merged = update_store(layout_, {{layout_.cainfo, "cainfo.pem"}}, {});
    ASSERT_TRUE(merged) << merged.error().message;
  }
  // Verifies `leaf` against the store through the index; the index reports how many it parsed.
  bool verifies(AnchorIndex& index, const Issued& leaf) {
    ossl::Ptr<X509_STORE> store(X509_STORE_new());
    EXPECT_TRUE(index.attach(store.get()));
    ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.cert.get(), nullptr);
    bool ok = X509_verify_cert(ctx.get()) == 1;
    ossl::drain_errors();
    return ok;
  }

  TempHome home_;
  Layout layout_ = Layout::at(home_.path());
  std::vector<Issued> roots_;
};

TEST_F(StoreIndex, WhatIsRenderedLoadsBackInStoreOrder) {
  auto loaded = load_index(layout_.merged_index);
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->entries.size(), roots_.size());
  std::string store = read_file(layout_.merged);
  for (size_t i = 0; i < roots_.size(); ++i) {
    const IndexEntry& e = loaded->entries[i];
    EXPECT_EQ(e.index, static_cast<int>(i + 1));
    EXPECT_EQ(e.sha256, roots_[i].sha256());
    EXPECT_EQ(e.sources, std::vector<std::string>{"cainfo.pem"});
    // The byte range is the anchor's PEM block.
    EXPECT_EQ(store.substr(e.offset, e.length), roots_[i].pem());
  }
}

TEST_F(StoreIndex, AVerificationParsesOnlyTheAnchorsOfTheIssuersName) {
  Issued leaf = make_cert({.common_name = "leaf", .dns_names = {"l.test"}}, &roots_[13]);
  auto index = AnchorIndex::open(layout_);
  ASSERT_TRUE(index) << index.error().message;
  EXPECT_FALSE((*index)->stale());
  EXPECT_TRUE(verifies(**index, leaf));
  EXPECT_EQ((*index)->parsed(), 1);
  auto hit = (*index)->find_by_sha256(roots_[13].sha256());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->index, 14);
  Issued stranger = make_cert({.common_name = "stranger", .is_ca = true});
  Issued other = make_cert({.common_name = "other"}, &stranger);
  EXPECT_FALSE(verifies(**index, other));
}

TEST_F(StoreIndex, AnIndexThatDoesNotDescribeTheStoreIsNotTrusted) {
  // The store edited behind the agent's back: the index names another store's SHA-256.
  home_.write(layout_.merged, roots_[0].pem());
  auto index = AnchorIndex::open(layout_);
  ASSERT_TRUE(index) << index.error().message;
  EXPECT_TRUE((*index)->stale());
  Issued through_first = make_cert({.common_name = "a"}, &roots_[0]);
  Issued through_gone = make_cert({.common_name = "b"}, &roots_[5]);
  EXPECT_TRUE(verifies(**index, through_first));
  EXPECT_FALSE(verifies(**index, through_gone));  // what the file no longer holds is not trusted
  EXPECT_FALSE((*index)->find_by_sha256(roots_[5].sha256()));
}

TEST_F(StoreIndex, ADamagedIndexLoadsAsNothing) {
  std::string good = read_file(layout_.merged_index);
  home_.write(layout_.merged_index, good.substr(0, good.size() / 2) + "\tgarbage\n");
  EXPECT_FALSE(load_index(layout_.merged_index));
}

}  // namespace
}  // namespace trust
