// When the disk takes no more writes (here a file-size limit, which fails writes with EFBIG just
// as a full disk fails them with ENOSPC): a change is all or nothing, and commands that only read
// the store go on with the last good one. And a source of a million bogus blocks costs one
// bounded merge, not every later command.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using nlohmann::json;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

constexpr const char* kSmallDisk = "sh -c 'ulimit -f 160; exec \"$0\" \"$@\"'";

class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string many;
    for (int i = 0; i < 200; ++i)
      many += make_cert({.common_name = "bulk " + std::to_string(i)}).pem();
    home_.write("etc/cainfo-ss.pem", many);
    ASSERT_EQ(run({"merge"}).exit_code, 0);
  }
  testing_support::CliResult run(std::vector<std::string> args, const std::string& prefix = "") {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args, {}, prefix);
  }
  testing_support::TempHome home_;
};

TEST_F(FullDisk, AddWhoseMergeCannotBeWrittenLeavesTheSourceAsItWas) {
  auto before = testing_support::snapshot(home_.path() + "/etc");
  auto r =
      run({"add", home_.write("in/new.pem", make_cert({.common_name = "New"}).pem())}, kSmallDisk);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the change was undone"), std::string::npos) << r.err;
  EXPECT_EQ(testing_support::snapshot(home_.path() + "/etc"), before);
  auto merged = run({"merge", "--json"});  // with room again, nothing pending
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(json::parse(merged.out)["regenerated"], false);
}

TEST_F(FullDisk, ListAndStatusWorkFromTheLastGoodStoreWithAWarning) {
  // A source changed, so the store is due for a rewrite that the disk will refuse.
  std::string ss = read_file(home_.etc("cainfo-ss.pem"));
  home_.write("etc/cainfo-ss.pem", ss + make_cert({.common_name = "Late"}).pem());
  // Text output: stdout is a file here, and under the same size limit as the store.
  auto list = run({"list"}, kSmallDisk);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  size_t listed = 0;
  for (size_t at = 0; (at = list.out.find("CN=bulk ", at)) != std::string::npos; ++at) ++listed;
  EXPECT_EQ(listed, 200u);
  EXPECT_EQ(list.out.find("CN=Late"), std::string::npos);
  EXPECT_NE(list.err.find("working from the last good store"), std::string::npos) << list.err;
  auto status = run({"status"}, kSmallDisk);
  EXPECT_EQ(status.exit_code, 1) << status.err;  // a warning: store_not_updated
  EXPECT_NE(status.out.find("store_not_updated"), std::string::npos) << status.out.substr(0, 300);
  // A script reading only stdout learns it too.
  auto connect = run({"connect", "127.0.0.1:1", "--json", "--timeout", "2"}, kSmallDisk);
  EXPECT_EQ(json::parse(connect.out)["stale_store"], true) << connect.out;
  EXPECT_NE(status.err.find("working from the last good store"), std::string::npos) << status.err;
  EXPECT_EQ(run({"list"}).exit_code, 0);  // with room again the store catches up
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find("CN=Late"), std::string::npos);
}

TEST(Bounds, AMillionBogusBlocksCostOneBoundedMergeAndListedWarningsAreCapped) {
  testing_support::TempHome home;
  std::string bogus;
  for (int i = 0; i < 1000000; ++i) bogus += "-----BEGIN X-----\nAAAA\n-----END X-----\n";
  home.write("etc/cainfo.pem", bogus + make_cert({.common_name = "Real"}).pem());
  auto r = run_cli({"merge", "--json", "--home", home.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err.substr(0, 500);
  json j = json::parse(r.out);
  EXPECT_EQ(j["anchors"], 1);
  ASSERT_EQ(j["skipped"].size(), 101u);
  EXPECT_EQ(j["skipped"][100]["reason"], "999900 more blocks skipped (the first 100 are listed)");
  EXPECT_LT(read_file(home.path() + "/var/state/merge.state").size(), 64u * 1024);
  auto again = run_cli({"merge", "--json", "--home", home.path()});
  EXPECT_EQ(json::parse(again.out)["regenerated"], false);
}

}  // namespace
