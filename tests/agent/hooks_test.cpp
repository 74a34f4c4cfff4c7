#include "agent/hooks.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>

#include "tests/support/temp_home.h"

namespace agent {
namespace {

using testing_support::read_file;

class Hooks : public ::testing::Test {
 protected:
  std::string hook(const std::string& name, const std::string& script, mode_t mode = 0755) {
    std::string path = home_.write("etc/hooks.d/" + name, "#!/bin/sh\n" + script);
    ::chmod(path.c_str(), mode);
    return path;
  }

  testing_support::TempHome home_;
  trust::Layout layout_ = trust::Layout::at(home_.path());
  trust::MergeReport report_ = [] {
    trust::MergeReport r;
    r.regenerated = true;
    r.anchors = 2;
    r.added = {{"aa11", "CN=New"}};
    r.removed = {{"bb22", "CN=Old"}};
    return r;
  }();
};

TEST_F(Hooks, RunInNameOrderWithChangesOnStdinAndCountsInEnvironment) {
  std::string log = home_.path() + "/log";
  hook("20-second", "echo second >> " + log + "\n");
  hook("10-first", "cat >> " + log +
                       "\necho \"$TRUSTAGENT_ANCHORS $TRUSTAGENT_ADDED "
                       "$TRUSTAGENT_REMOVED $TRUSTAGENT_STORE\" >> " +
                       log + "\n");
  hook("README", "exit 0\n", 0644);  // not executable: ignored
  auto runs = run_hooks(layout_, report_);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "10-first");
  EXPECT_TRUE(runs[0].ok());
  EXPECT_EQ(read_file(log),
            "added aa11 CN=New\nremoved bb22 CN=Old\n2 1 1 " + layout_.merged + "\nsecond\n");
}

// A package upgrade leaves the old or the new version of a hook beside it: neither runs.
TEST_F(Hooks, PackageManagerLeftoversAndBackupsAreNotRun) {
  std::string log = home_.path() + "/log";
  for (const char* left : {"10-x.dpkg-old", "10-x.dpkg-dist", "10-x.rpmnew", "10-x.rpmsave",
                           "10-x.rpmorig", "10-x~", ".10-x"}) {
    hook(left, "echo " + std::string(left) + " >> " + log + "\n");
  }
  hook("10-x", "echo ran >> " + log + "\n");
  auto runs = run_hooks(layout_, report_);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].name, "10-x");
  EXPECT_EQ(read_file(log), "ran\n");
}

TEST_F(Hooks, FailingHookIsReportedAndOthersStillRun) {
  hook("10-fails", "exit 3\n");
  hook("20-ok", "exit 0\n");
  auto runs = run_hooks(layout_, report_);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].exit_code, 3);
  EXPECT_EQ(runs[0].error, "exited with status 3");
  EXPECT_TRUE(runs[1].ok());
}

TEST_F(Hooks, SlowHookIsKilledAtTheTimeout) {
  hook("10-slow", "sleep 30\n");
  auto start = std::chrono::steady_clock::now();
  auto runs = run_hooks(layout_, report_, std::chrono::milliseconds(300));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].timed_out);
  EXPECT_LT(took, 5.0);
}

// The daemon blocks SIGHUP, SIGTERM and SIGINT to take them synchronously; a hook must not
// inherit that, or `systemctl restart` of a service it runs could never stop it.
TEST_F(Hooks, AHookStartsWithNoSignalBlockedOrIgnoredWhateverTheAgentDoes) {
  std::string out = home_.path() + "/mask";
  // Perl (essential on Debian) keeps the mask it is given; a shell would reset it.
  std::string path = home_.write("etc/hooks.d/10-mask",
                                 "#!/usr/bin/perl\nopen(my $in, '<', '/proc/self/status');\n"
                                 "open(my $out, '>', '" +
                                     out +
                                     "');\n"
                                     "while (<$in>) { print $out $_ if /^Sig(Blk|Ign)/; }\n");
  ::chmod(path.c_str(), 0755);
  sigset_t blocked, previous;
  sigemptyset(&blocked);
  for (int s : {SIGHUP, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&blocked, s);
  ::sigprocmask(SIG_BLOCK, &blocked, &previous);
  struct sigaction ignore = {};
  struct sigaction was = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &was);  // main ignores it: a hook must not
  auto runs = run_hooks(layout_, report_);
  ::sigaction(SIGXFSZ, &was, nullptr);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].ok()) << runs[0].error;
  std::string seen = read_file(out);
  ASSERT_EQ(seen.rfind("SigBlk:\t0000000000000000\nSigIgn:\t", 0), 0u) << seen;
  // Perl ignores SIGFPE itself; what matters is that nothing the agent ignored is inherited.
  unsigned long long ignored = std::stoull(seen.substr(seen.rfind('\t') + 1), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGXFSZ - 1)), 0u) << seen;
}

// A parent that ignores SIGCHLD (some init scripts and supervisors do) makes the kernel reap
// children itself: the hook's exit status must still be seen, and at once.
TEST_F(Hooks, AFailingHookIsSeenFailingEvenWhenSigchldIsIgnored) {
  hook("10-fails", "exit 7\n");
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ignore, &previous);
  auto start = std::chrono::steady_clock::now();
  auto runs = run_hooks(layout_, report_);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::sigaction(SIGCHLD, &previous, nullptr);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].error, "exited with status 7");
  EXPECT_LT(took, 2.0);
}

TEST_F(Hooks, AQuickHookCostsNoPollingInterval) {
  for (int i = 0; i < 20; ++i) hook("h" + std::to_string(10 + i), "exit 0\n");
  auto start = std::chrono::steady_clock::now();
  auto runs = run_hooks(layout_, report_);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(runs.size(), 20u);
  for (const auto& r : runs) EXPECT_TRUE(r.ok()) << r.name << ": " << r.error;
  EXPECT_LT(took, 2.0);
}

TEST_F(Hooks, HookWritableByOthersIsNotRun) {
  std::string marker = home_.path() + "/ran";
  hook("10-open", "touch " + marker + "\n", 0777);
  auto runs = run_hooks(layout_, report_);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].ok());
  EXPECT_NE(runs[0].error.find("writable by group or others"), std::string::npos);
  EXPECT_FALSE(testing_support::file_exists(marker));
}

TEST_F(Hooks, WritableHooksDirectoryRunsNothing) {
  std::string marker = home_.path() + "/ran";
  hook("10-ok", "touch " + marker + "\n");
  ::chmod(layout_.hooks_dir.c_str(), 0777);
  auto runs = run_hooks(layout_, report_);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].ok());
  EXPECT_FALSE(testing_support::file_exists(marker));
}

}  // namespace
}  // namespace agent
