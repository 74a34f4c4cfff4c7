// Policy refresh against a real central server: nginx on loopback (scripts/central-server.sh).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "policy/index.h"
#include "tests/support/central_server.h"
#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"
#include "trust/file_lock.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"

namespace {

using nlohmann::json;
using testing_support::read_file;
using testing_support::run_cli;

class Refresh : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = home_.write("corp/ca.pem",
                      testing_support::make_cert({.common_name = "Corp CA", .is_ca = true}).pem());
    policy("aaaa-1", 1, "<CurlSSL CAInfo=\"" + ca_ + "\"/>");
    policy("bbbb-2", 1, "<Refresh IntervalSeconds=\"600\"/>");
    publish();
    auto server = testing_support::CentralServer::start(srv());
    url_ = server.url;
    cert_ = server.cert;
    ASSERT_FALSE(url_.empty()) << "nginx did not start (is it installed?)";
    ASSERT_EQ(run({"add", cert_}).exit_code, 0);  // the agent trusts its central server
  }
  void TearDown() override { testing_support::CentralServer::stop(srv()); }

  std::string srv() const { return home_.path() + "/srv"; }
  // A failed refresh changes nothing but the record of the failure.
  std::map<std::string, std::string> var_without_record() {
    auto files = testing_support::snapshot(home_.path() + "/var");
    files.erase("state/refresh-record.json");
    return files;
  }
  std::string policy(const std::string& guid, int revision, const std::string& body) {
    return home_.write("srv/policies/" + guid + ".xml",
                       "<Policy guid=\"" + guid + "\" revision=\"" + std::to_string(revision) +
                           "\" priority=\"10\">" + body + "</Policy>\n");
  }
  void publish() {
    auto r = run_cli({"policy", "publish", srv() + "/policies"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void republish_index(const std::string& xml) {
    static int bump = 0;
    testing_support::move_mtime_forward(home_.write("srv/policies/index.xml", xml), 10 * ++bump);
  }
  testing_support::CliResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--home", home_.path()});
    return run_cli(args);
  }
  json refresh(int expected_exit = 0) {
    auto r = run({"policy", "refresh", "--server", url_, "--json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return r.out.empty() ? json() : json::parse(r.out);
  }
  size_t requests() {
    std::string log = read_file(srv() + "/.central-server/access.log");
    return static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  }
  std::string stored(const std::string& guid) {
    return read_file(home_.path() + "/var/policies/" + guid + ".xml");
  }

  testing_support::TempHome home_;
  std::string ca_, url_, cert_;
};

TEST_F(Refresh, FirstRefreshInstallsAndAppliesInTheSameRefresh) {
  json j = refresh();
  EXPECT_EQ(j["installed"], json({"aaaa-1", "bbbb-2"}));
  // The index, two policies, and the index again (a 304) telling what the endpoint holds now.
  EXPECT_EQ(j["requests"], 4);
  std::string log = read_file(srv() + "/.central-server/access.log");
  std::string last = log.substr(log.rfind('\n', log.size() - 2) + 1);
  EXPECT_NE(last.find(" 304 "), std::string::npos) << last;
  EXPECT_NE(last.find("aaaa-1@1"), std::string::npos) << last;
  EXPECT_EQ(j["merge"]["anchors"], 2);  // the central server's cert + the policy's CA file
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find("CN=Corp CA"), std::string::npos);
  // The central server's leaf is remembered, so that status can warn before it expires.
  auto central = trust::read_certificates(read_file(cert_));
  ASSERT_EQ(central.certs.size(), 1u);
  std::string seen = read_file(home_.path() + "/var/state/servers.state");
  EXPECT_EQ(seen.rfind("central\t", 0), 0u) << seen;
  EXPECT_NE(seen.find("\t" + trust::to_hex(central.certs[0].sha256) + "\t"), std::string::npos)
      << seen;
}

TEST_F(Refresh, SecondRefreshIsOne304AndWritesNothing) {
  refresh();
  auto before = testing_support::snapshot(home_.path() + "/var");
  struct stat st_before {};
  ::stat((home_.path() + "/var/policies/aaaa-1.xml").c_str(), &st_before);
  size_t served = requests();
  json j = refresh();
  EXPECT_EQ(j["not_modified"], true);
  EXPECT_EQ(j["requests"], 1);
  EXPECT_EQ(requests(), served + 1);
  struct stat st_after {};
  ::stat((home_.path() + "/var/policies/aaaa-1.xml").c_str(), &st_after);
  EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
  EXPECT_EQ(st_after.st_ino, st_before.st_ino);
  EXPECT_EQ(testing_support::snapshot(home_.path() + "/var"), before);
}

// nginx's validators are the mtime in whole seconds and the size: a same-size republish that keeps
// the mtime answers 304 to a conditional GET. `--full` sends no validators and sees it.
TEST_F(Refresh, FullRefreshSeesARepublishTheValidatorsMiss) {
  refresh();
  std::string index = srv() + "/policies/index.xml";
  std::string old_index = read_file(index);
  testing_support::rewrite_unseen(index, [&] {
    policy("bbbb-2", 2, "<Refresh IntervalSeconds=\"900\"/>");
    publish();
  });
  ASSERT_EQ(read_file(index).size(), old_index.size());
  ASSERT_NE(read_file(index), old_index);
  EXPECT_EQ(refresh()["not_modified"], true)
      << "the server saw the change: the test proves nothing";
  EXPECT_NE(stored("bbbb-2").find("revision=\"1\""), std::string::npos);
  auto r = run({"policy", "refresh", "--server", url_, "--json", "--full"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["not_modified"], false);
  EXPECT_EQ(j["installed"], json::array({"bbbb-2"}));
  EXPECT_NE(stored("bbbb-2").find("revision=\"2\""), std::string::npos);
  EXPECT_EQ(refresh()["not_modified"], true);  // and conditional again afterwards
}

TEST_F(Refresh, ChangedPolicyIsAppliedAndRemovedOneDisappears) {
  refresh();
  policy("aaaa-1", 2, "<CurlSSL SSLVerifyHost=\"no\"/>");
  std::filesystem::remove(srv() + "/policies/bbbb-2.xml");
  publish();
  json j = refresh();
  EXPECT_EQ(j["installed"], json({"aaaa-1"}));
  EXPECT_EQ(j["removed"], json({"bbbb-2"}));
  EXPECT_EQ(j["merge"]["removed"][0]["subject"], "CN=Corp CA,O=trustagent tests");
  EXPECT_FALSE(testing_support::file_exists(home_.path() + "/var/policies/bbbb-2.xml"));
  EXPECT_NE(stored("aaaa-1").find("revision=\"2\""), std::string::npos);
}

struct BadPolicy {
  const char* name;
  std::string content;
  std::string message;
};

TEST_F(Refresh, BadPoliciesAreRefusedAndTheOldCopyStays) {
  refresh();
  std::string good = stored("aaaa-1");
  std::vector<BadPolicy> cases = {
      {"malformed", "<Policy guid=\"aaaa-1\" revision=\"5\">", "not well-formed XML"},
      {"two MiB",
       "<Policy guid=\"aaaa-1\" revision=\"5\" name=\"" + std::string(2 << 20, 'x') + "\"/>",
       "larger than the 1048576-byte limit"},
      {"billion laughs",
       "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
       "\"&a;&a;&a;&a;\">]>"
       "<Policy guid=\"aaaa-1\" revision=\"5\">&b;</Policy>",
       "DTDs and entity declarations are not allowed"},
      {"replayed old revision", "<Policy guid=\"aaaa-1\" revision=\"0\"/>",
       "is older than the stored 1"},
      {"wrong guid", "<Policy guid=\"zzzz-9\" revision=\"7\"/>", "the document's guid is zzzz-9"},
  };
  for (const auto& c : cases) {
    home_.write("srv/policies/aaaa-1.xml", c.content);
    republish_index(policy::write_index(
        {{"aaaa-1", 5, trust::to_hex(trust::sha256_of(c.content)), "aaaa-1.xml"},
         {"bbbb-2", 1, trust::to_hex(trust::sha256_of(stored("bbbb-2"))), "bbbb-2.xml"}}));
    json j = refresh(2);
    ASSERT_EQ(j["refused"].size(), 1u) << c.name;
    EXPECT_NE(j["refused"][0].get<std::string>().find(c.message), std::string::npos)
        << c.name << ": " << j["refused"][0];
    EXPECT_NE(j["refused"][0].get<std::string>().find("the stored copy stays in force"),
              std::string::npos);
    EXPECT_EQ(stored("aaaa-1"), good) << c.name;
  }
}

TEST_F(Refresh, TamperedPolicyFailsItsHash) {
  refresh();
  std::string good = stored("aaaa-1");
  policy("aaaa-1", 9, "<CurlSSL SSLVerifyPeer=\"no\"/>");  // changed after publishing
  republish_index(policy::write_index(
      {{"aaaa-1", 9, std::string(64, 'e'), "aaaa-1.xml"},
       {"bbbb-2", 1, trust::to_hex(trust::sha256_of(stored("bbbb-2"))), "bbbb-2.xml"}}));
  json j = refresh(2);
  EXPECT_NE(j["refused"][0].get<std::string>().find("does not match the index's eeee"),
            std::string::npos);
  EXPECT_EQ(stored("aaaa-1"), good);
}

TEST_F(Refresh, IndexPointingOutsideTheServerIsRefused) {
  republish_index(
      "<PolicyIndex><Policy guid=\"evil\" revision=\"1\" sha256=\"" + std::string(64, 'a') +
      "\" href=\"../../etc/passwd\"/><Policy guid=\"other\" revision=\"1\" sha256=\"" +
      std::string(64, 'a') + "\" href=\"https://elsewhere.example/p.xml\"/></PolicyIndex>");
  json j = refresh(2);
  ASSERT_EQ(j["refused"].size(), 2u);
  EXPECT_NE(j["refused"][0].get<std::string>().find("points outside"), std::string::npos);
  EXPECT_EQ(j["requests"], 1);  // nothing fetched from anywhere else
}

// 0.8.0: a policy left out by an unauthenticated answer is no longer removed (removing a CA file
// changes anchors as surely as adding one): the refresh fails until it is dealt with.
TEST_F(Refresh, PolicyThatTurnsVerificationOffIsLoudAndAnUnauthenticatedAnswerRemovesNothing) {
  refresh();
  home_.write("var/policies/zz-lax.xml",
              "<Policy guid=\"zz-lax\" priority=\"1\"><CurlSSL SSLVerifyPeer=\"no\"/></Policy>");
  auto cert_fp =
      json::parse(run({"list", "--json"}).out)["anchors"][0]["sha256"].get<std::string>();
  ASSERT_EQ(run({"remove", cert_fp}).exit_code, 0);  // the central server is no longer trusted
  republish_index(read_file(srv() + "/policies/index.xml") + "\n");
  auto r = run({"policy", "refresh", "--server", url_, "--json"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("WARNING: policy zz-lax turns SSLVerifyPeer off: the central server was NOT "
                       "authenticated"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(json::parse(r.out)["removed"], json::array());
  EXPECT_NE(r.err.find("zz-lax: not removed"), std::string::npos) << r.err;
  // Verification back on (the lax policy removed here, the server trusted again): it goes.
  ASSERT_EQ(run({"policy", "remove", "zz-lax"}).exit_code, 0);
  ASSERT_EQ(run({"add", cert_}).exit_code, 0);
  EXPECT_EQ(refresh(0)["unchanged"].size(), 2u);
}

TEST_F(Refresh, UnreachableOrUntrustedServerChangesNothing) {
  refresh();
  auto etc_before = testing_support::snapshot(home_.path() + "/etc");
  auto var_before = var_without_record();
  testing_support::CentralServer::stop(srv());
  auto down = run({"policy", "refresh", "--server", url_, "--timeout", "3"});
  EXPECT_EQ(down.exit_code, 3) << down.err;
  EXPECT_NE(down.err.find("cannot connect"), std::string::npos) << down.err;
  EXPECT_EQ(testing_support::snapshot(home_.path() + "/etc"), etc_before);
  EXPECT_EQ(var_without_record(), var_before);

  // The same server, no longer trusted: refused, nothing changed.
  std::string url = testing_support::CentralServer::start(srv()).url;
  ASSERT_EQ(run({"remove", trust::to_hex(trust::sha256_of(""))}).exit_code, 2);  // sanity: no such
  auto cert_fp =
      json::parse(run({"list", "--json"}).out)["anchors"][0]["sha256"].get<std::string>();
  ASSERT_EQ(run({"remove", cert_fp}).exit_code, 0);
  auto untrusted_before = testing_support::snapshot(home_.path() + "/var/policies");
  auto r = run({"policy", "refresh", "--server", url, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no anchor in the store"), std::string::npos) << r.err;
  EXPECT_EQ(testing_support::snapshot(home_.path() + "/var/policies"), untrusted_before);
}

}  // namespace

// A central server (or whoever answers in its place) that sends far more than an index can be:
// the transfer stops at the index's size bound, quickly, and nothing is written.
namespace {

class RefreshBounds : public Refresh {
 protected:
  // A 1 GiB index (sparse: no disk is used) under srv/<prefix>/policies/.
  void huge_index(const std::string& prefix) {
    std::string path = home_.write("srv/" + prefix + "/policies/index.xml", "");
    ASSERT_EQ(::truncate(path.c_str(), off_t{1} << 30), 0);
  }
  // What a failed refresh leaves: var/ as it was but for the record of the failure.
  std::map<std::string, std::string> var() {
    auto files = testing_support::snapshot(home_.path() + "/var");
    files.erase("state/refresh-record.json");
    return files;
  }
};

TEST_F(RefreshBounds, AGibibyteIndexIsCutOffAtTheSizeBound) {
  refresh();
  auto before = var();
  huge_index("huge");
  auto start = std::chrono::steady_clock::now();
  auto r = run({"policy", "refresh", "--server", url_ + "/huge"});
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("larger than the 4194304-byte limit; transfer stopped"), std::string::npos)
      << r.err;
  EXPECT_LT(took, 10.0);
  EXPECT_EQ(var(), before);
}

TEST_F(RefreshBounds, ASlowServerIsCutOffAtTheTimeBound) {
  refresh();
  auto before = var();
  huge_index("slow");  // nginx trickles /slow/ at 32 KiB/s: 4 MiB would take two minutes
  auto start = std::chrono::steady_clock::now();
  auto r = run({"policy", "refresh", "--server", url_ + "/slow", "--timeout", "2"});
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no answer within 2"), std::string::npos) << r.err;
  EXPECT_LT(took, 6.0);
  EXPECT_EQ(var(), before);
}

TEST_F(RefreshBounds, AnIndexListing100000PoliciesIsRefusedWhole) {
  refresh();
  auto before = var();
  std::string xml = "<PolicyIndex>\n";
  for (int i = 0; i < 100000; ++i) {
    xml += "<Policy guid=\"g" + std::to_string(i) + "\" revision=\"1\" sha256=\"" +
           std::string(64, 'a') + "\" href=\"g" + std::to_string(i) + ".xml\"/>\n";
  }
  xml += "</PolicyIndex>\n";
  republish_index(xml);
  size_t requests_before = requests();
  auto r = run({"policy", "refresh", "--server", url_});
  EXPECT_EQ(r.exit_code, 3) << r.err;  // over the 4 MiB bound long before 10,000 entries
  EXPECT_NE(r.err.find("byte limit"), std::string::npos) << r.err;
  // nginx logs a request the client cut short only when it notices the closed connection, which
  // may be after the agent has exited.
  for (int i = 0; i < 40 && requests() == requests_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(requests(), requests_before + 1);  // the index only: no policy was fetched
  EXPECT_EQ(var(), before);
}

}  // namespace

namespace {

// Refresh A reads what is stored, then downloads a policy slowly (nginx trickles /slow/); while it
// does, a second refresh installs a newer revision under the writer lock. A must not install its
// older revision over it: revisions are checked again under the lock.
TEST_F(Refresh, TwoRefreshesAtOnceNeverInstallAnOlderRevision) {
  std::string padding(96 * 1024, 'x');  // three seconds at 32 KiB/s
  home_.write(
      "srv/slow/policies/cccc.xml",
      "<Policy guid=\"cccc\" revision=\"1\" priority=\"10\"><!-- " + padding + " --></Policy>\n");
  auto published = run_cli({"policy", "publish", srv() + "/slow/policies"});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  testing_support::CliResult first;
  std::thread refresh_a([&] {
    first = run({"policy", "refresh", "--server", url_ + "/slow", "--lock-timeout", "60",
                 "--timeout", "30"});
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::string newer = "<Policy guid=\"cccc\" revision=\"2\" priority=\"10\"/>\n";
  {
    auto lock = trust::FileLock::acquire(home_.path() + "/var/lock", 10);
    ASSERT_TRUE(lock) << lock.error().message;
    home_.write("var/policies/cccc.xml", newer);           // what the other refresh installed
    std::this_thread::sleep_for(std::chrono::seconds(4));  // A finishes, then waits for the lock
  }
  refresh_a.join();
  EXPECT_EQ(read_file(home_.path() + "/var/policies/cccc.xml"), newer);
  EXPECT_NE(first.err.find("revision 1 is older than the stored 2, installed meanwhile"),
            std::string::npos)
      << first.err;
}

}  // namespace
