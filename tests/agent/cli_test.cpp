// The trustagent binary as a user runs it: options, JSON shapes, exit codes, and that its store
// works with curl and openssl.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "tests/support/tls_server.h"
#include "trust/certificate.h"

namespace {

using nlohmann::json;
using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

class Cli : public ::testing::Test {
 protected:
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  json run_json(std::vector<std::string> args, int expected_exit = 0) {
    args.push_back("--json");
    auto r = run(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return json::parse(r.out);
  }

  testing_support::TempHome home_;
  testing_support::Issued root_ = make_cert({.common_name = "Test Root", .is_ca = true});
  testing_support::Issued leaf_ =
      make_cert({.common_name = "localhost", .dns_names = {"localhost"}}, &root_);
};

TEST_F(Cli, VersionAndHelpExplainExitCodes) {
  auto v = run_cli({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find(TRUSTAGENT_VERSION), std::string::npos);
  for (const char* cmd : {"merge", "list", "add", "remove"}) {
    auto h = run_cli({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("Exit codes: 0 success"), std::string::npos) << cmd;
  }
  auto bad = run_cli({"no-such-command"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(Cli, MergeJsonHasTheDocumentedShape) {
  home_.write("etc/cainfo.pem", root_.pem() + root_.pem());
  json j = run_json({"merge"});
  EXPECT_EQ(j["regenerated"], true);
  EXPECT_EQ(j["anchors"], 1);
  EXPECT_EQ(j["duplicates"], 1);
  ASSERT_EQ(j["added"].size(), 1u);
  EXPECT_EQ(j["added"][0]["sha256"], root_.sha256());
  EXPECT_EQ(j["added"][0]["subject"], "CN=Test Root,O=trustagent tests");
  EXPECT_TRUE(j["removed"].empty());
  ASSERT_EQ(j["sources"].size(), 3u);
  EXPECT_EQ(j["sources"][0]["path"], home_.etc("cainfo.pem"));
  EXPECT_EQ(j["sources"][0]["status"], "ok");
  EXPECT_EQ(j["sources"][0]["anchors"], 2);
  EXPECT_EQ(j["sources"][1]["status"], "missing");
  EXPECT_TRUE(j["skipped"].empty());

  json again = run_json({"merge"});
  EXPECT_EQ(again["regenerated"], false);
  EXPECT_EQ(again["anchors"], 1);
}

TEST_F(Cli, ListJsonHasTheDocumentedShape) {
  home_.write("etc/cainfo.pem", root_.pem());
  home_.write("etc/cainfo-ss.pem", leaf_.pem() + root_.pem());
  json j = run_json({"list"});
  ASSERT_EQ(j["anchors"].size(), 2u);
  const json& a = j["anchors"][0];
  EXPECT_EQ(a["index"], 1);
  EXPECT_EQ(a["sha256"], root_.sha256());
  EXPECT_EQ(a["sha1"].get<std::string>().size(), 40u);
  EXPECT_EQ(a["subject"], "CN=Test Root,O=trustagent tests");
  EXPECT_EQ(a["issuer"], "CN=Test Root,O=trustagent tests");
  EXPECT_EQ(a["self_signed"], true);
  EXPECT_EQ(a["is_ca"], true);
  EXPECT_EQ(a["sources"], json({"cainfo.pem", "cainfo-ss.pem"}));
  EXPECT_EQ(a["not_after"].get<std::string>().back(), 'Z');
  EXPECT_EQ(j["anchors"][1]["is_ca"], false);
  EXPECT_EQ(j["anchors"][1]["index"], 2);
}

TEST_F(Cli, GlobalOptionsWorkBeforeTheSubcommandToo) {
  home_.write("etc/cainfo.pem", root_.pem());
  auto r = run_cli({"--home", home_.path(), "--json", "merge"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["anchors"], 1);
}

TEST_F(Cli, HomeComesFromTheEnvironment) {
  home_.write("etc/cainfo.pem", root_.pem());
  auto r = run_cli({"merge", "--json"}, {"TRUSTAGENT_HOME=" + home_.path()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(testing_support::file_exists(home_.etc("cainfo-merged.pem")));
}

TEST_F(Cli, CaFilesComeFromTheConfigAndTheCommandLineOverrides) {
  std::string one = home_.write("corp/one.pem", root_.pem());
  std::string two = home_.write("corp/two.pem", leaf_.pem());
  home_.write("etc/trustagent.conf",
              "ca-file = " + one + "\nca-file = " + two + "\nserver = ns.example:443\n");
  json j = run_json({"merge"});
  EXPECT_EQ(j["anchors"], 2);
  EXPECT_EQ(j["sources"][3]["path"], one);
  EXPECT_EQ(j["sources"][4]["path"], two);
  json only = run_json({"merge", "--ca-file", two});
  EXPECT_EQ(only["anchors"], 1);
  EXPECT_EQ(only["removed"][0]["sha256"], root_.sha256());
}

// A CA file named for one command only leaves the store at the next command: never silently.
TEST_F(Cli, AnchorsOfASourceNoLongerNamedLeaveTheStoreWithANoteSayingHowToKeepThem) {
  home_.write("etc/cainfo.pem", root_.pem());
  testing_support::Issued other = make_cert({.common_name = "Other Root", .is_ca = true});
  std::string bundle = home_.write("corp/bundle.pem", other.pem());
  EXPECT_EQ(run_json({"merge", "--ca-file", bundle})["anchors"], 2);
  auto listed = run({"list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(json::parse(listed.out)["anchors"].size(), 1u);
  EXPECT_NE(listed.err.find(bundle + " is no longer a source"), std::string::npos) << listed.err;
  EXPECT_NE(listed.err.find("add 'ca-file = " + bundle + "' to trustagent.conf"), std::string::npos)
      << listed.err;
  // The merge's JSON names it too.
  EXPECT_EQ(run_json({"merge", "--ca-file", bundle})["anchors"], 2);
  json j = run_json({"merge"});
  EXPECT_EQ(j["unlisted_sources"], json::array({bundle}));
  EXPECT_EQ(j["removed"][0]["sha256"], other.sha256());
  // Nothing left to say once the store has settled.
  auto again = run({"list"});
  EXPECT_EQ(again.err.find("no longer a source"), std::string::npos) << again.err;
}

TEST_F(Cli, StoreLoadsInOpensslVerifyAndCurl) {
  std::string leaf_pem = home_.write("leaf.pem", leaf_.pem());
  std::string leaf_key = home_.write("leaf.key", leaf_.key_pem());
  std::string other = make_cert({.common_name = "Other", .is_ca = true}).pem();
  home_.write("etc/cainfo.pem", other + root_.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  std::string store = home_.etc("cainfo-merged.pem");

  std::string verify = "openssl verify -CAfile " + store + " " + leaf_pem + " >/dev/null 2>&1";
  EXPECT_EQ(std::system(verify.c_str()), 0);

  testing_support::TlsServer server(leaf_pem, leaf_key);
  ASSERT_GT(server.port(), 0);
  std::string url = "https://localhost:" + std::to_string(server.port()) + "/";
  std::string curl = "curl -sS -o /dev/null --max-time 10 --cacert " + store + " " + url;
  EXPECT_EQ(std::system(curl.c_str()), 0);
  // And the negative: the same server is refused when its root is not in the store.
  home_.write("etc/cainfo.pem", other);
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  EXPECT_NE(std::system((curl + " 2>/dev/null").c_str()), 0);
}

TEST_F(Cli, AddImportsDerIntoCainfoAndSiteIntoCainfoSs) {
  std::string der = home_.write("in/root.cer", root_.der());
  json j = run_json({"add", der});
  ASSERT_EQ(j["added"].size(), 1u);
  EXPECT_EQ(j["added"][0]["sha256"], root_.sha256());
  EXPECT_EQ(j["merge"]["anchors"], 1);
  EXPECT_NE(read_file(home_.etc("cainfo.pem")).find("BEGIN CERTIFICATE"), std::string::npos);

  json again = run_json({"add", der});
  EXPECT_TRUE(again["added"].empty());
  EXPECT_EQ(again["already_present"].size(), 1u);

  std::string leaf = home_.write("in/leaf.pem", leaf_.pem());
  json site = run_json({"add", leaf, "--site"});
  EXPECT_EQ(site["target"], home_.etc("cainfo-ss.pem"));
  EXPECT_EQ(site["merge"]["anchors"], 2);
}

TEST_F(Cli, AddFromAFileWithAKeyImportsTheCertificateNeverTheKey) {
  std::string mixed = home_.write("in/server.pem", leaf_.key_pem() + leaf_.pem());
  auto r = run({"add", mixed});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(mixed + ": block 1: private key, skipped (never copied)"),
            std::string::npos);
  EXPECT_EQ(read_file(home_.etc("cainfo.pem")).find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(read_file(home_.etc("cainfo-merged.pem")).find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find(leaf_.sha256()), std::string::npos);
}

TEST_F(Cli, RemoveAcceptsAnySpellingOfTheFingerprint) {
  home_.write("etc/cainfo.pem", root_.pem() + leaf_.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  std::string upper_colons;
  for (size_t i = 0; i < 64; i += 2) {
    if (i) upper_colons += ':';
    upper_colons += static_cast<char>(std::toupper(leaf_.sha256()[i]));
    upper_colons += static_cast<char>(std::toupper(leaf_.sha256()[i + 1]));
  }
  json j = run_json({"remove", upper_colons});
  EXPECT_EQ(j["removed"]["sha256"], leaf_.sha256());
  EXPECT_EQ(j["merge"]["anchors"], 1);
  EXPECT_EQ(j["merge"]["removed"][0]["sha256"], leaf_.sha256());

  auto sha1 = trust::Certificate::from_der(root_.der())->info().sha1;
  json k = run_json({"remove", "sha1:" + sha1});
  EXPECT_EQ(k["merge"]["anchors"], 0);
  EXPECT_FALSE(testing_support::file_exists(home_.etc("cainfo.pem")));
}

TEST_F(Cli, RemoveRefusesToEditAnAdminCaFile) {
  std::string corp = home_.write("corp/ca.pem", root_.pem());
  ASSERT_EQ(run({"merge", "--ca-file", corp}).exit_code, 0);
  auto before = testing_support::snapshot(home_.path());
  auto r = run({"remove", root_.sha256(), "--ca-file", corp});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("comes from " + corp + ", which is not agent-managed"), std::string::npos);
  EXPECT_EQ(testing_support::snapshot(home_.path()), before);
}

TEST_F(Cli, RemoveUnknownOrMalformedFingerprintIsBadInput) {
  home_.write("etc/cainfo.pem", root_.pem());
  auto unknown = run({"remove", leaf_.sha256()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no certificate with fingerprint"), std::string::npos);
  auto malformed = run({"remove", "xyz"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("is not a fingerprint"), std::string::npos);
}

TEST_F(Cli, SecondWriterExitsFourAfterTheLockTimeout) {
  home_.write("etc/cainfo.pem", root_.pem());
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  int fd = ::open((home_.path() + "/var/lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = run({"merge", "--json", "--lock-timeout", "0.3"});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 4);
  json j = json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "locked");
  EXPECT_NE(r.err.find("another trustagent process is writing"), std::string::npos);
}

TEST_F(Cli, HooksRunOnRegenerationAndTheirOutputStaysOffStdout) {
  home_.write("etc/cainfo.pem", root_.pem());
  std::string hook = home_.write("etc/hooks.d/10-audit", "#!/bin/sh\necho from-the-hook\ncat > " +
                                                             home_.path() + "/changes\n");
  ::chmod(hook.c_str(), 0755);
  auto r = run({"merge", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);  // would throw if the hook had written to stdout
  EXPECT_EQ(j["hooks"][0]["name"], "10-audit");
  EXPECT_EQ(j["hooks"][0]["ok"], true);
  EXPECT_NE(r.err.find("from-the-hook"), std::string::npos);
  EXPECT_EQ(read_file(home_.path() + "/changes"),
            "added " + root_.sha256() + " CN=Test Root,O=trustagent tests\n");
  // No regeneration, no hook.
  std::filesystem::remove(home_.path() + "/changes");
  ASSERT_EQ(run({"merge"}).exit_code, 0);
  EXPECT_FALSE(testing_support::file_exists(home_.path() + "/changes"));
}

TEST_F(Cli, FailingHookDoesNotUndoTheMerge) {
  home_.write("etc/cainfo.pem", root_.pem());
  std::string hook = home_.write("etc/hooks.d/10-broken", "#!/bin/sh\nexit 5\n");
  ::chmod(hook.c_str(), 0755);
  auto r = run({"merge"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("hook 10-broken: exited with status 5"), std::string::npos);
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find(root_.sha256()), std::string::npos);
}

}  // namespace

namespace {

// A .p7b an exporter wrote root first (issue 16, item 11): add takes every certificate, or with
// --pick only the one asked for, whatever the order in the file.
TEST(AddPick, TakesOneCertificateOfAChainInAnyOrder) {
  testing_support::Issued root = make_cert({.common_name = "Pick Root", .is_ca = true});
  testing_support::Issued inter =
      make_cert({.common_name = "Pick Intermediate", .is_ca = true}, &root);
  testing_support::Issued leaf = make_cert({.common_name = "pick.example"}, &inter);
  std::string p7b = testing_support::make_pkcs7({&root, &leaf, &inter}, false);
  struct Case {
    std::string pick, expected;
  } cases[] = {{"leaf", leaf.sha256()}, {"root", root.sha256()}, {"2", inter.sha256()}};
  for (const auto& c : cases) {
    testing_support::TempHome home;
    std::string file = home.write("in/chain.p7b", p7b);
    auto r = run_cli({"add", file, "--pick", c.pick, "--home", home.path(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << c.pick << ": " << r.err;
    json added = json::parse(r.out)["added"];
    ASSERT_EQ(added.size(), 1u) << c.pick;
    EXPECT_EQ(added[0]["sha256"], c.expected) << c.pick;
  }
  testing_support::TempHome home;
  std::string unrelated = home.write("in/two.pem", root.pem() + make_cert({}).pem());
  auto r = run_cli({"add", unrelated, "--pick", "leaf", "--home", home.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not one chain"), std::string::npos) << r.err;
  auto all = run_cli({"add", home.write("in/chain.p7b", p7b), "--home", home.path(), "--json"});
  EXPECT_EQ(json::parse(all.out)["added"].size(), 3u);
}

// A server's chain file without its root: --pick root must not quietly take the intermediate.
TEST(AddPick, RootOfAChainThatHasNoneIsRefusedNotGuessed) {
  testing_support::Issued root = make_cert({.common_name = "Absent Root", .is_ca = true});
  testing_support::Issued inter =
      make_cert({.common_name = "Top Intermediate", .is_ca = true}, &root);
  testing_support::Issued leaf = make_cert({.common_name = "pick.example"}, &inter);
  testing_support::TempHome home;
  std::string file = home.write("in/chain.pem", leaf.pem() + inter.pem());
  auto r = run_cli({"add", file, "--pick", "root", "--home", home.path()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no root"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Top Intermediate"), std::string::npos) << r.err;
  EXPECT_FALSE(testing_support::file_exists(home.etc("cainfo.pem")));
  EXPECT_EQ(run_cli({"add", file, "--pick", "2", "--home", home.path()}).exit_code, 0);
}

}  // namespace

namespace {

// The .pfx of a reserve procedure (issue 16, item 1): add and reserve add read its certificates
// with the password, and never its key; a wrong or missing password has its own message.
TEST(Pkcs12, AddAndReserveAddReadTheCertificatesWithThePassword) {
  testing_support::Issued root = make_cert({.common_name = "P12 Root", .is_ca = true});
  testing_support::Issued leaf =
      make_cert({.common_name = "p12.example", .dns_names = {"p12.example"}}, &root);
  std::string p12 = testing_support::make_pkcs12(leaf, {&root}, "s3cret");
  testing_support::TempHome home;
  std::string file = home.write("in/server.pfx", p12);
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home.path()});
    return run_cli(args);
  };
  auto missing = run({"add", file});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("needs --password"), std::string::npos) << missing.err;
  auto wrong = run({"add", file, "--password", "nope"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("wrong password"), std::string::npos) << wrong.err;
  std::string pass_file = home.write("in/pass", "s3cret\n");
  auto added = run({"add", file, "--password-file", pass_file, "--pick", "leaf", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(json::parse(added.out)["added"][0]["sha256"], leaf.sha256());
  std::string store = read_file(home.etc("cainfo-merged.pem"));
  EXPECT_EQ(store.find("PRIVATE KEY"), std::string::npos);

  testing_support::TempHome other;
  other.write("etc/cainfo.pem", root.pem());
  auto reserve = run_cli({"reserve", "add", file, "--password", "s3cret", "--home", other.path()});
  EXPECT_EQ(reserve.exit_code, 0) << reserve.err;
  json reserves =
      json::parse(run_cli({"reserve", "list", "--json", "--home", other.path()}).out)["reserves"];
  ASSERT_EQ(reserves.size(), 1u);  // the server's certificate, not its chain
  EXPECT_EQ(reserves[0]["sha256"], leaf.sha256());
}

}  // namespace
