// The bad-input catalogue: every kind of broken source, named, with its message, its exit code,
// and proof that the merged store on disk did not change where nothing valid changed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/cert_factory.h"
#include "tests/support/run_cli.h"
#include "tests/support/temp_home.h"

namespace {

using testing_support::make_cert;
using testing_support::read_file;
using testing_support::run_cli;

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    home_.write("etc/cainfo.pem", root_.pem());
    auto r = merge({});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    store_ = read_file(home_.etc("cainfo-merged.pem"));
    index_ = read_file(home_.etc("cainfo-merged.idx"));
  }

  testing_support::CliResult merge(const std::vector<std::string>& extra,
                                   const std::string& prefix = "") {
    std::vector<std::string> args = {"merge", "--home", home_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, {}, prefix);
  }

  // Runs merge with `path` as an extra CA file; checks the exit code and the message on stderr.
  testing_support::CliResult expect(const std::string& path, int exit_code,
                                    const std::string& message) {
    auto r = merge({"--ca-file", path});
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "stderr was: " << r.err;
    return r;
  }

  void expect_store_unchanged() {
    EXPECT_EQ(read_file(home_.etc("cainfo-merged.pem")), store_);
    EXPECT_EQ(read_file(home_.etc("cainfo-merged.idx")), index_);
  }

  testing_support::TempHome home_;
  testing_support::Issued root_ = make_cert({.common_name = "Root", .is_ca = true});
  testing_support::Issued other_ = make_cert({.common_name = "Other"}, &root_);
  std::string store_, index_;
};

TEST_F(BadInput, EmptyFile) {
  std::string f = home_.write("in/empty.pem", "");
  expect(f, 2, f + ": empty file, no certificates");
  expect_store_unchanged();
}

TEST_F(BadInput, Garbage) {
  std::string f = home_.write("in/garbage.pem", "this is not a certificate at all\n");
  expect(f, 2, f + ": no certificate found (not PEM, DER or PKCS#7)");
  expect_store_unchanged();
}

// A bundle saved as UTF-16 on Windows (issue 16, item 2): with a byte-order mark it is read;
// without one, or as UTF-32, the message names the encoding and nothing changes.
TEST_F(BadInput, Utf16IsReadAndOtherEncodingsAreNamed) {
  auto utf16le = [](const std::string& ascii, bool bom) {
    std::string out = bom ? std::string("\xFF\xFE") : std::string();
    for (char ch : ascii) out += std::string{ch, '\0'};
    return out;
  };
  std::string no_bom = home_.write("in/unicode-no-bom.pem", utf16le(other_.pem(), false));
  expect(no_bom, 2, no_bom + ": looks like UTF-16 without a byte-order mark");
  expect_store_unchanged();
  std::string with_bom = home_.write("in/unicode.pem", utf16le(other_.pem(), true));
  auto added = run_cli({"add", with_bom, "--home", home_.path()});
  EXPECT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find("CN=Other"), std::string::npos);
}

TEST_F(BadInput, TruncatedPem) {
  std::string pem = other_.pem();
  std::string f = home_.write("in/truncated.pem", pem.substr(0, pem.size() / 2));
  expect(f, 2, f + ": block 1: CERTIFICATE block is truncated (no END line), skipped");
  expect_store_unchanged();
}

TEST_F(BadInput, BadBase64) {
  std::string pem = other_.pem();
  pem[70] = '%';
  std::string f = home_.write("in/bad64.pem", pem);
  expect(f, 2, f + ": block 1: invalid base64, skipped");
  expect_store_unchanged();
}

TEST_F(BadInput, PrivateKeyInTheMiddleIsSkippedAndNeverCopied) {
  std::string f = home_.write("in/mixed.pem", root_.pem() + other_.key_pem() + other_.pem());
  expect(f, 2, f + ": block 2: private key, skipped (never copied)");
  std::string store = read_file(home_.etc("cainfo-merged.pem"));
  EXPECT_EQ(store.find("PRIVATE KEY"), std::string::npos);
  std::string key = other_.key_pem();
  std::string key_line = key.substr(key.find('\n') + 1, 64);
  EXPECT_EQ(store.find(key_line), std::string::npos);
  // Byte-identical to the store made from the same file without the key.
  testing_support::TempHome clean;
  clean.write("etc/cainfo.pem", root_.pem());
  std::string same = clean.write(f, root_.pem() + other_.pem());
  ASSERT_EQ(run_cli({"merge", "--home", clean.path(), "--ca-file", same}).exit_code, 0);
  EXPECT_EQ(read_file(clean.etc("cainfo-merged.pem")), store);
}

TEST_F(BadInput, DerOfAPrivateKey) {
  std::string f = home_.write("in/key.der", other_.key_der());
  expect(f, 2, f + ": not a DER certificate or PKCS#7 bundle: looks like a private key");
  expect_store_unchanged();
}

TEST_F(BadInput, Crl) {
  std::string f = home_.write("in/root.crl", testing_support::make_crl_pem(root_));
  expect(f, 2, f + ": block 1: certificate revocation list, skipped");
  expect_store_unchanged();
}

TEST_F(BadInput, ThreeDuplicateCopiesAreOneAnchor) {
  std::string f = home_.write("in/dups.pem", root_.pem() + root_.pem() + root_.pem());
  auto r = merge({"--ca-file", f, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["anchors"], 1);
  EXPECT_EQ(j["duplicates"], 3);
  EXPECT_TRUE(j["added"].empty());
}

TEST_F(BadInput, CrlfAndBomAreRead) {
  std::string crlf = "\xEF\xBB\xBF";
  for (char c : other_.pem()) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  std::string f = home_.write("in/windows.cer", crlf);
  auto r = merge({"--ca-file", f, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["anchors"], 2);
  EXPECT_EQ(j["added"][0]["sha256"], other_.sha256());
}

TEST_F(BadInput, FiftyMegabytesOfGarbage) {
  std::string garbage(50u << 20, '\0');
  uint32_t x = 2463534242u;
  for (char& c : garbage) {  // xorshift: cheap, incompressible-looking noise
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  garbage[0] = 'G';  // not a DER SEQUENCE either
  std::string f = home_.write("in/huge.bin", garbage);
  auto start = std::chrono::steady_clock::now();
  expect(f, 2, f + ": no certificate found");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(took, 10.0);
  expect_store_unchanged();
}

TEST_F(BadInput, UnreadableFile) {
  std::string f = home_.write("in/secret.pem", other_.pem());
  ::chmod(f.c_str(), 0600);
  std::string prefix;
  if (::geteuid() == 0) {
    // Root reads everything; run as nobody, with a home nobody owns and a file it cannot read.
    std::string cmd = "chown -R nobody:nogroup " + home_.path() + " && chown root:root " + f;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    prefix = "setpriv --reuid=nobody --regid=nogroup --clear-groups";
  } else {
    ::chmod(f.c_str(), 0);
  }
  auto r = merge({"--ca-file", f}, prefix);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(f + ": refused: " + f + ": cannot open: Permission denied"),
            std::string::npos)
      << r.err;
  expect_store_unchanged();
}

TEST_F(BadInput, MissingFileIsReportedNotAnError) {
  std::string f = home_.path() + "/in/not-there.pem";
  auto r = merge({"--ca-file", f});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("source missing " + f), std::string::npos) << r.out;
  expect_store_unchanged();
}

TEST_F(BadInput, DirectoryInsteadOfFile) {
  std::string dir = home_.path() + "/in/adir";
  std::filesystem::create_directories(dir);
  expect(dir, 2, dir + ": refused: is a directory, not a file");
  expect_store_unchanged();
}

TEST_F(BadInput, WorldWritableFile) {
  std::string f = home_.write("in/open.pem", other_.pem());
  ::chmod(f.c_str(), 0666);
  expect(f, 2, f + ": refused: file is writable by group or others (mode 0666");
  expect_store_unchanged();
}

TEST_F(BadInput, SymlinkToAWorldWritableFile) {
  std::string target = home_.write("in/open.pem", other_.pem());
  ::chmod(target.c_str(), 0666);
  std::string link = home_.path() + "/in/link.pem";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  expect(link, 2, link + ": refused: symlink target " + target + " is writable by group or others");
  expect_store_unchanged();
}

TEST_F(BadInput, RelativeCaFileIsAUsageErrorAndTouchesNothing) {
  auto before = testing_support::snapshot(home_.path());
  auto r = merge({"--ca-file", "relative/ca.pem", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("CA file 'relative/ca.pem' must be an absolute path"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["code"], "bad_input");
  EXPECT_EQ(testing_support::snapshot(home_.path()), before);
}

TEST_F(BadInput, CainfoEmptiedByAccidentKeepsTheStore) {
  home_.write("etc/cainfo.pem", "");
  auto r = merge({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cainfo.pem held 1 certificates at the last merge and now holds none"),
            std::string::npos)
      << r.err;
  expect_store_unchanged();
}

}  // namespace

// Hostile CA files named by a policy rather than on the command line: the same refusals, the
// message naming the file, and the store untouched.
namespace {

class HostilePolicyCaFile : public BadInput {
 protected:
  void expect_policy_ca(const std::string& path, const std::string& message) {
    home_.write("var/policies/hostile.xml",
                "<Policy guid=\"hostile\"><CurlSSL CAInfo=\"" + path + "\"/></Policy>");
    auto start = std::chrono::steady_clock::now();
    auto r = merge({});
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "stderr was: " << r.err;
    EXPECT_LT(took, 5.0);
    expect_store_unchanged();
  }
};

TEST_F(HostilePolicyCaFile, Relative) { expect_policy_ca("corp/ca.pem", "hostile.xml:1:"); }

TEST_F(HostilePolicyCaFile, Directory) {
  std::string dir = home_.path() + "/corp/ca.d";
  std::filesystem::create_directories(dir);
  expect_policy_ca(dir, dir + ": refused: is a directory, not a file");
}

TEST_F(HostilePolicyCaFile, WorldWritableFile) {
  std::string f = home_.write("corp/open.pem", other_.pem());
  ::chmod(f.c_str(), 0666);
  expect_policy_ca(f, f + ": refused: file is writable by group or others");
}

TEST_F(HostilePolicyCaFile, SymlinkIntoAWorldWritableDirectory) {
  std::string target = home_.write("drop/ca.pem", other_.pem());
  ::chmod((home_.path() + "/drop").c_str(), 0777);
  std::string link = home_.path() + "/corp/ca.pem";
  std::filesystem::create_directories(home_.path() + "/corp");
  std::filesystem::create_symlink(target, link);
  expect_policy_ca(link,
                   "refused: directory " + home_.path() + "/drop is writable by group or others");
}

TEST_F(HostilePolicyCaFile, Fifo) {
  std::filesystem::create_directories(home_.path() + "/corp");
  std::string fifo = home_.path() + "/corp/ca.pem";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  expect_policy_ca(fifo, fifo + ": refused: not a regular file");  // and no hang (< 5 s)
}

TEST_F(HostilePolicyCaFile, TwoGibibyteSparseFile) {
  std::string f = home_.write("corp/huge.pem", "");
  ASSERT_EQ(::truncate(f.c_str(), off_t{2} << 30), 0);
  expect_policy_ca(f, "2147483648 bytes is larger than the 128 MiB limit");
}

TEST_F(BadInput, FileSizeLimitWhileWritingKeepsTheOldStore) {
  std::string many;
  for (int i = 0; i < 60; ++i)
    many += make_cert({.common_name = "bulk " + std::to_string(i)}).pem();
  home_.write("etc/cainfo-ss.pem", many);
  // 40 blocks of at most 1 KiB: far less than the ~60 KB store. The write fails with EFBIG
  // (SIGXFSZ is ignored), the temporary is removed, and the old store and index stay.
  auto r = merge({}, "sh -c 'ulimit -f 40; exec \"$0\" \"$@\"'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  expect_store_unchanged();
  for (const auto& e : std::filesystem::directory_iterator(home_.path() + "/etc")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(merge({}).exit_code, 0);  // with room again, the next merge goes through
  EXPECT_NE(read_file(home_.etc("cainfo-merged.pem")).find("CN=bulk 59"), std::string::npos);
}

}  // namespace
