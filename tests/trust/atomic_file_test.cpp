#include "trust/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "tests/support/temp_home.h"

namespace trust {
namespace {

using testing_support::read_file;
using testing_support::TempHome;

int temporaries_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().find(".tmp-") != std::string::npos) ++n;
  }
  return n;
}

// Dies at `stage` of replacing `path` (through the TRUSTAGENT_TEST_CRASH seam) in a child.
int crash_while_writing(const std::string& path, const std::string& content, const char* stage) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string spec = std::string(stage) + ":" + std::filesystem::path(path).filename().string();
    ::setenv("TRUSTAGENT_TEST_CRASH", spec.c_str(), 1);
    (void)write_file_atomic(path, content);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(AtomicFile, ReplacesContentWithMode0644WhateverTheUmask) {
  TempHome home;
  std::string path = home.etc("file.pem");
  mode_t old = ::umask(077);
  ASSERT_TRUE(write_file_atomic(path, "first"));
  ASSERT_TRUE(write_file_atomic(path, "second"));
  ::umask(old);
  EXPECT_EQ(read_file(path), "second");
  struct stat st {};
  ::stat(path.c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(temporaries_in(home.path() + "/etc"), 0);
}

TEST(AtomicFile, CrashBeforeRenameLeavesTheOldFile) {
  for (const char* stage : {"after-write", "after-fsync"}) {
    TempHome home;
    std::string path = home.write("etc/store.pem", "old content");
    EXPECT_EQ(crash_while_writing(path, "new content", stage), 86) << stage;
    EXPECT_EQ(read_file(path), "old content") << stage;
    EXPECT_EQ(temporaries_in(home.path() + "/etc"), 1) << stage;
    sweep_stale_temporaries(home.path() + "/etc");
    EXPECT_EQ(temporaries_in(home.path() + "/etc"), 0) << stage;
    EXPECT_EQ(read_file(path), "old content");
  }
}

TEST(AtomicFile, CrashAfterRenameLeavesTheNewFile) {
  TempHome home;
  std::string path = home.write("etc/store.pem", "old content");
  EXPECT_EQ(crash_while_writing(path, "new content", "after-rename"), 86);
  EXPECT_EQ(read_file(path), "new content");
  EXPECT_EQ(temporaries_in(home.path() + "/etc"), 0);
}

TEST(AtomicFile, FailureNamesThePathAndLeavesNothing) {
  TempHome home;
  auto r = write_file_atomic(home.path() + "/no/such/dir/file", "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(home.path() + "/no/such/dir"), std::string::npos);
}

TEST(AtomicFile, RemoveDurablyToleratesMissingFile) {
  TempHome home;
  std::string path = home.write("etc/x", "x");
  EXPECT_TRUE(remove_file_durably(path));
  EXPECT_FALSE(testing_support::file_exists(path));
  EXPECT_TRUE(remove_file_durably(path));
}

}  // namespace
}  // namespace trust
