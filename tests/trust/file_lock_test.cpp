#include "trust/file_lock.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/support/temp_home.h"

namespace trust {
namespace {

TEST(FileLock, SecondWriterWaitsThenFailsWithLocked) {
  testing_support::TempHome home;
  std::string path = home.path() + "/lock";
  auto first = FileLock::acquire(path, 0);
  ASSERT_TRUE(first);
  auto start = std::chrono::steady_clock::now();
  auto second = FileLock::acquire(path, 0.3);
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Code::kLocked);
  EXPECT_NE(second.error().message.find("another trustagent process"), std::string::npos);
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 2.0);
}

TEST(FileLock, ReleasedWhenTheHolderGoesAway) {
  testing_support::TempHome home;
  std::string path = home.path() + "/lock";
  {
    auto held = FileLock::acquire(path, 0);
    ASSERT_TRUE(held);
  }
  EXPECT_TRUE(FileLock::acquire(path, 0));
}

}  // namespace
}  // namespace trust
