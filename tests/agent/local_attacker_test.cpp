// Another local user against the agent's own files: the settings file, stored policies, etc/ and
// hooks.d, and a CA file reached through a symlink in a sticky directory. Each is refused with a
// line naming the path, and nothing it says is obeyed or run. Ownership cases need root (to make
// files another user owns); they are skipped otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "agent/endpoint_identity.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"

namespace {

using nlohmann::json;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

class LocalAttacker : public ::testing::Test {
 protected:
  void SetUp() override {
    home_.write("etc/cainfo.pem", make_cert({.common_name = "Anchor", .is_ca = true}).pem());
    ASSERT_EQ(run({"merge"}).exit_code, 0);
  }
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  static void as_root_only() {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create files another user owns";
  }
  static void give_to_nobody(const std::string& path) {
    ASSERT_EQ(std::system(("chown nobody:nogroup " + path).c_str()), 0);
  }
  testing_support::TempHome home_;
};

TEST_F(LocalAttacker, SettingsFileWritableByOthersIsRefusedAndNotObeyed) {
  std::string conf = home_.write("etc/trustagent.conf", "server = attacker.example:443\n");
  ::chmod(conf.c_str(), 0666);
  auto r = run({"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(conf + ": settings file refused: file is writable by group or others"),
            std::string::npos)
      << r.err;
}

TEST_F(LocalAttacker, SettingsFileOwnedByAnotherUserIsRefused) {
  as_root_only();
  std::string conf = home_.write("etc/trustagent.conf", "server = attacker.example:443\n");
  give_to_nobody(conf);
  auto r = run({"list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(conf + ": settings file refused: file is owned by uid"), std::string::npos)
      << r.err;
}

TEST_F(LocalAttacker, FlagsThatLowerSecurityAreNeverReadFromTheSettingsFile) {
  home_.write("etc/trustagent.conf",
              "[connect]\nno-verify-peer = true\n[fetch]\ntrust-on-first-use = true\n");
  auto r = run({"connect", "127.0.0.1:1", "--timeout", "2"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find("without verifying"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no-verify-peer"), std::string::npos) << r.err;
}

TEST_F(LocalAttacker, PolicyOwnedByAnotherUserOrInAnOpenDirectoryIsNotApplied) {
  as_root_only();
  std::string policy = home_.write(
      "var/policies/aaaa.xml",
      "<Policy guid=\"aaaa\" revision=\"1\"><CurlSSL SSLVerifyPeer=\"no\"/></Policy>\n");
  auto trusted = json::parse(run({"policy", "show", "--json"}).out);
  ASSERT_EQ(trusted["effective"]["verify_peer"]["value"], false) << trusted.dump();

  give_to_nobody(policy);
  auto r = run({"policy", "show", "--json"});
  json j = json::parse(r.out);
  EXPECT_EQ(j["effective"]["verify_peer"]["value"], true) << j.dump();
  EXPECT_NE(r.err.find(policy + ": policy refused, not applied: file is owned by uid"),
            std::string::npos)
      << r.err;

  // A stored policy that is not applied is a status warning, not only a line on stderr.
  auto status = run({"status", "--json"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.out.find("\"policy_not_applied\""), std::string::npos) << status.out;

  // 0.8.0: an open var/policies stops every command, as an open var/state does (it was applied as
  // no policy at all, with status saying nothing).
  ASSERT_EQ(std::system(("chown root:root " + policy).c_str()), 0);
  ::chmod((home_.path() + "/var/policies").c_str(), 0777);
  for (const char* command : {"policy", "status"}) {
    auto open_dir = command == std::string("policy") ? run({"policy", "show", "--json"})
                                                     : run({"status", "--json"});
    EXPECT_EQ(open_dir.exit_code, 2) << command;
    EXPECT_NE(open_dir.err.find("var/policies: refused: directory"), std::string::npos)
        << open_dir.err;
  }
}

TEST_F(LocalAttacker, HooksNeverRunFromASymlinkedHooksDirOrAnOpenEtc) {
  std::string marker = home_.path() + "/ran";
  std::string elsewhere =
      home_.write("system-programs/10-anything", "#!/bin/sh\ntouch " + marker + "\n");
  ::chmod(elsewhere.c_str(), 0755);
  ASSERT_EQ(::symlink((home_.path() + "/system-programs").c_str(),
                      (home_.path() + "/etc/hooks.d").c_str()),
            0);
  auto linked = run({"merge", "--force"});
  EXPECT_FALSE(testing_support::file_exists(marker));
  EXPECT_NE(linked.err.find("hooks.d is a symlink"), std::string::npos) << linked.err;

  ASSERT_EQ(::unlink((home_.path() + "/etc/hooks.d").c_str()), 0);
  std::string hook = home_.write("etc/hooks.d/10-anything", "#!/bin/sh\ntouch " + marker + "\n");
  ::chmod(hook.c_str(), 0755);
  ::chmod((home_.path() + "/etc").c_str(), 0777);
  auto open_etc = run({"merge", "--force", "--allow-empty"});  // the run that refuses cainfo.pem
  EXPECT_FALSE(testing_support::file_exists(marker));
  // Anyone could create trustagent.conf in that etc/: the command stops before any hook.
  EXPECT_EQ(open_etc.exit_code, 2);
  EXPECT_NE(open_etc.err.find("etc is writable by group or others"), std::string::npos)
      << open_etc.err;
  ::chmod((home_.path() + "/etc").c_str(), 0755);
}

TEST_F(LocalAttacker, HookInputEscapesUnicodeLineSeparators) {
  std::string log = home_.path() + "/stdin";
  std::string hook = home_.write("etc/hooks.d/10-log", "#!/bin/sh\ncat > " + log + "\n");
  ::chmod(hook.c_str(), 0755);
  auto cert = make_cert({.common_name = "a\xc2\x85"
                                        "b\xe2\x80\xa8"
                                        "c\xe2\x80\xa9"
                                        "d"});
  ASSERT_EQ(run({"add", home_.write("in.pem", cert.pem())}).exit_code, 0);
  std::string input = read_file(log);
  EXPECT_EQ(std::count(input.begin(), input.end(), '\n'), 1) << input;
  EXPECT_NE(input.find("a\\u{0085}b\\u{2028}c\\u{2029}d"), std::string::npos) << input;
}

TEST_F(LocalAttacker, SymlinkOfAnotherUserInAStickyDirectoryIsRefused) {
  as_root_only();
  ::chmod(home_.path().c_str(), 0755);  // nobody may reach the sticky directory
  std::string sticky = home_.path() + "/sticky";
  ASSERT_EQ(::mkdir(sticky.c_str(), 01777), 0);
  ::chmod(sticky.c_str(), 01777);
  std::string ca =
      home_.write("corp/ca.pem", make_cert({.common_name = "Corp", .is_ca = true}).pem());
  std::string link = sticky + "/ca.pem";
  ASSERT_EQ(
      std::system(("setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s " + ca + " " + link)
                      .c_str()),
      0);
  auto r = run({"merge", "--ca-file", link});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("symlink " + link + " is owned by uid"), std::string::npos) << r.err;
}

TEST_F(LocalAttacker, FileReplacedBetweenCheckAndReadIsNotRead) {
  std::string ca =
      home_.write("corp/ca.pem", make_cert({.common_name = "Corp", .is_ca = true}).pem());
  trust::SourceProbe probe = trust::probe_source(ca);
  ASSERT_EQ(probe.presence, trust::SourceProbe::Presence::kPresent);
  std::string swap = home_.write("corp/other.pem", make_cert({.common_name = "Other"}).pem());
  ASSERT_EQ(std::rename(swap.c_str(), ca.c_str()), 0);
  auto read = trust::read_source_file(ca, trust::kMaxSourceBytes, &probe.stamp);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("replaced between its ownership check and the read"),
            std::string::npos);
  EXPECT_TRUE(trust::read_source_file(ca, trust::kMaxSourceBytes));
}

}  // namespace

namespace {

// Found by the second review: a directory symlink earlier in the path, owned by another user,
// could point a checked path at any root-owned directory, or at the user's own while a hook or
// the settings file was opened again by path.
TEST_F(LocalAttacker, AnotherUsersDirectorySymlinkAnywhereOnThePathIsRefused) {
  as_root_only();
  ::chmod(home_.path().c_str(), 0755);
  std::string sticky = home_.path() + "/sticky";
  ASSERT_EQ(::mkdir(sticky.c_str(), 01777), 0);
  ::chmod(sticky.c_str(), 01777);
  std::string root_dir = home_.path() + "/rootdir";
  std::string ca =
      home_.write("rootdir/ca.pem", make_cert({.common_name = "Corp", .is_ca = true}).pem());
  std::string hook = home_.write("rootdir/hook", "#!/bin/sh\ntouch " + home_.path() + "/ran\n");
  ::chmod(hook.c_str(), 0755);
  home_.write("rootdir/trustagent.conf", "server = elsewhere.example\n");
  ASSERT_EQ(std::system(("setpriv --reuid=nobody --regid=nogroup --clear-groups ln -s " + root_dir +
                         " " + sticky + "/d")
                            .c_str()),
            0);
  std::string via = sticky + "/d";

  auto ca_file = run({"merge", "--ca-file", via + "/ca.pem"});
  EXPECT_EQ(ca_file.exit_code, 2);
  EXPECT_NE(ca_file.err.find("symlink " + via + " is owned by uid"), std::string::npos)
      << ca_file.err;

  auto config = run({"list", "--config", via + "/trustagent.conf"});
  EXPECT_EQ(config.exit_code, 2);
  EXPECT_NE(config.err.find("settings file refused: symlink " + via + " is owned by uid"),
            std::string::npos)
      << config.err;

  ASSERT_EQ(::mkdir((home_.path() + "/etc/hooks.d").c_str(), 0755), 0);
  ASSERT_EQ(::symlink((via + "/hook").c_str(), (home_.path() + "/etc/hooks.d/10-x").c_str()), 0);
  auto merged = run({"merge", "--force"});
  EXPECT_FALSE(testing_support::file_exists(home_.path() + "/ran"));
  EXPECT_NE(merged.err.find("not run: symlink " + via + " is owned by uid"), std::string::npos)
      << merged.err;
}

// flock() needs no write access: a lock file another user can open is one that user can hold.
TEST_F(LocalAttacker, NoOtherUserCanHoldTheWriterOrTheDaemonLock) {
  as_root_only();
  ASSERT_EQ(::chmod(home_.path().c_str(), 0755), 0);  // reachable, as /opt/trustagent is
  ASSERT_EQ(run({"run", "--once"}).exit_code, 0);     // makes var/daemon.lock too
  for (const char* name : {"var/lock", "var/daemon.lock"}) {
    std::string lock = home_.path() + "/" + name;
    ASSERT_EQ(::chmod(lock.c_str(), 0644), 0);  // as 0.7.0 made them
    ASSERT_EQ(run({"merge"}).exit_code, 0);
    ASSERT_EQ(run({"run", "--once"}).exit_code, 0);
    struct stat st {};
    ASSERT_EQ(::stat(lock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    std::string hold = "runuser -u nobody -- flock -n " + lock + " true 2>/dev/null";
    EXPECT_NE(std::system(hold.c_str()), 0) << "user nobody could lock " << name;
  }
}

// Review: every failure to take var/daemon.lock was "another daemon is running".
TEST_F(LocalAttacker, ADaemonLockOfAnotherUserIsNamedNotTakenForAnotherDaemon) {
  as_root_only();
  std::string lock = home_.write("var/daemon.lock", "");
  give_to_nobody(lock);
  auto r = run({"run", "--once"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot be made private"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("another trustagent daemon"), std::string::npos) << r.err;
}

TEST_F(LocalAttacker, AStateDirectoryOthersCanWriteIsRefused) {
  ASSERT_EQ(::mkdir((home_.path() + "/var/policies").c_str(), 0755), 0);
  for (const char* dir : {"var", "var/state", "var/policies"}) {
    std::string path = home_.path() + "/" + dir;
    ASSERT_EQ(::chmod(path.c_str(), 01777), 0);
    auto before = testing_support::snapshot(home_.path() + "/etc");
    for (const char* command : {"status", "merge", "list"}) {
      auto r = run({command});
      EXPECT_EQ(r.exit_code, 2) << command << " " << dir;
      EXPECT_NE(
          r.err.find(path + ": refused: directory " + path + " is writable by group or others"),
          std::string::npos)
          << r.err;
    }
    EXPECT_EQ(testing_support::snapshot(home_.path() + "/etc"), before);
    ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
    EXPECT_EQ(run({"status"}).exit_code, 0) << dir;
  }
}

TEST_F(LocalAttacker, TheEndpointIdIsReadableByTheAgentAlone) {
  std::string id = agent::endpoint_id(trust::Layout::at(home_.path()));
  EXPECT_EQ(id.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((home_.path() + "/var/state/endpoint-id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::chmod((home_.path() + "/var/state/endpoint-id").c_str(), 0644), 0);  // 0.7.0's
  EXPECT_EQ(agent::endpoint_id(trust::Layout::at(home_.path())), id);
  ASSERT_EQ(::stat((home_.path() + "/var/state/endpoint-id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LocalAttacker, OutputThatCannotBeWrittenIsNotASuccess) {
  auto r = run_cli({"list", "--json", "--home", home_.path()}, {},
                   "sh -c 'ulimit -f 0; exec \"$0\" \"$@\"'");
  // Its stderr is a file under the same limit, so only the exit code can tell.
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
