// The commands as library functions (agent/cli/commands.h): run in this process against a
// throwaway home, with their output captured, as the binary would run them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "agent/cli/commands.h"
#include "tests/support/cert_factory.h"
#include "tests/support/temp_home.h"

namespace cli {
namespace {

using testing_support::make_cert;
using testing_support::read_file;
using testing_support::TempHome;

class RunCommands : public ::testing::Test {
 protected:
  RunCommands() {
    ctx_.home = home_.path();
    ctx_.json = true;
  }
  // Runs `command`, keeping what it printed; returns its exit code.
  template <class F>
  int run(F&& command) {
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = command();
    out_ = testing::internal::GetCapturedStdout();
    err_ = testing::internal::GetCapturedStderr();
    return rc;
  }
  nlohmann::json out_json() const { return nlohmann::json::parse(out_); }

  TempHome home_;
  Context ctx_;
  std::string out_, err_;
};

TEST_F(RunCommands, AddListAndRemoveGoThroughTheStore) {
  auto a = make_cert({.common_name = "Run A", .is_ca = true});
  auto b = make_cert({.common_name = "Run B", .is_ca = true});
  std::string file = home_.write("in/two.pem", a.pem() + b.pem());
  AddOptions add;
  add.file = file;
  ASSERT_EQ(run([&] { return run_add(ctx_, add); }), 0) << err_;
  EXPECT_EQ(out_json()["added"].size(), 2u) << out_;
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find(a.pem()), std::string::npos);

  ASSERT_EQ(run([&] { return run_list(ctx_); }), 0) << err_;
  auto anchors = out_json()["anchors"];
  ASSERT_EQ(anchors.size(), 2u) << out_;
  EXPECT_EQ(anchors[0]["sha256"], a.sha256());

  RemoveOptions remove{"SHA256:" + a.sha256()};
  ASSERT_EQ(run([&] { return run_remove(ctx_, remove); }), 0) << err_;
  EXPECT_EQ(read_file(home_.etc("cainfo-merged.pem")).find(a.pem()), std::string::npos);
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find(b.pem()), std::string::npos);
}

TEST_F(RunCommands, BadInputIsAnExitCodeAndOneErrorLineWithNothingWritten) {
  std::string file = home_.write("in/key.pem", make_cert({}).key_pem());
  AddOptions add;
  add.file = file;
  EXPECT_EQ(run([&] { return run_add(ctx_, add); }), 2);
  EXPECT_EQ(out_json()["error"]["code"], "bad_input") << out_;
  EXPECT_NE(err_.find("trustagent: error: " + file), std::string::npos) << err_;
  EXPECT_FALSE(testing_support::file_exists(home_.etc("cainfo.pem")));

  RemoveOptions remove{"not-a-fingerprint"};
  EXPECT_EQ(run([&] { return run_remove(ctx_, remove); }), 2);
}

TEST_F(RunCommands, ReadinessWithoutAQuestionIsAUsageError) {
  ReadinessOptions opts;
  opts.log = home_.write("access.log", "");
  EXPECT_EQ(run([&] { return run_readiness(ctx_, opts); }), 2);
  EXPECT_NE(err_.find("ready for what?"), std::string::npos) << err_;
}

}  // namespace
}  // namespace cli
