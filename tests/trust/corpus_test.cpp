// Reads every file of the external corpus (tests/data/corpus, copied from real files of other
// projects' test suites) and checks it against the counts in its MANIFEST.md; then merges all of
// them and checks that no private key material reaches anything trustagent writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tests/support/temp_home.h"
#include "trust/merge.h"
#include "trust/source_reader.h"

namespace trust {
namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

struct ManifestRow {
  std::string path, format;
  int certs = 0;
};

std::string corpus_dir() { return testing_support::source_root() + "/tests/data/corpus"; }

std::vector<ManifestRow> manifest() {
  std::vector<ManifestRow> rows;
  std::istringstream in(read_file(corpus_dir() + "/MANIFEST.md"));
  std::string line;
  while (std::getline(in, line)) {
    // File rows look like "| 12 | `dir/file.pem` | ..."; everything else is prose or headers.
    size_t digits = line.find_first_not_of("0123456789", 2);
    if (line.rfind("| ", 0) != 0 || digits == 2 || line.compare(digits, 4, " | `") != 0) continue;
    std::vector<std::string> cols;
    std::stringstream fields(line);
    std::string col;
    while (std::getline(fields, col, '|')) cols.push_back(col);
    if (cols.size() < 8) continue;
    ManifestRow r;
    r.path = cols[2].substr(cols[2].find('`') + 1);
    r.path = r.path.substr(0, r.path.find('`'));
    r.format = cols[6];
    r.certs = std::stoi(cols[7]);
    // JSON vectors embed certificates a PEM/DER/PKCS#7 reader must not find (MANIFEST: "must
    // extract 0").
    if (r.format.find("JSON") != std::string::npos) r.certs = 0;
    rows.push_back(r);
  }
  return rows;
}

// Base64 lines of every private-key block in the corpus: none may appear in anything we write.
std::vector<std::string> key_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find("-----BEGIN ", pos)) != std::string::npos) {
    size_t label_end = text.find("-----", pos + 11);
    size_t end = text.find("-----END", pos + 11);
    if (label_end == std::string::npos || end == std::string::npos) break;
    std::string label = text.substr(pos + 11, label_end - pos - 11);
    if (label.find("PRIVATE KEY") != std::string::npos) {
      std::istringstream body(text.substr(label_end + 5, end - label_end - 5));
      std::string line;
      while (std::getline(body, line)) {
        if (line.size() >= 40 && line.find(':') == std::string::npos) out.push_back(line);
      }
    }
    pos = end + 8;
  }
  return out;
}

TEST(Corpus, EveryFileYieldsTheManifestsCertificateCount) {
  ASSERT_TRUE(fs::exists(corpus_dir() + "/MANIFEST.md")) << "corpus not found at " << corpus_dir();
  auto rows = manifest();
  ASSERT_GE(rows.size(), 100u);
  for (const auto& row : rows) {
    auto content = read_source_file(corpus_dir() + "/" + row.path);
    ASSERT_TRUE(content) << content.error().message;
    ReadResult r = read_certificates(*content);
    EXPECT_EQ(static_cast<int>(r.certs.size()), row.certs) << row.path;
    if (row.certs == 0) {
      EXPECT_FALSE(r.warnings.empty()) << row.path << " is skipped silently";
    }
  }
}

TEST(Corpus, OneCertificateInThreeEncodingsIsOneAnchor) {
  testing_support::TempHome home;
  Layout layout = Layout::at(home.path());
  std::vector<SourceSpec> specs;
  for (const char* f :
       {"curl/EdelCurlRoot-ca.cacert", "curl/EdelCurlRoot-ca.crt", "curl/EdelCurlRoot-ca.der"}) {
    std::string copy = home.write(std::string("corpus/") + fs::path(f).filename().string(),
                                  read_file(corpus_dir() + "/" + f));
    specs.push_back({copy, copy});
  }
  auto r = update_store(layout, specs, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->anchors, 1);
  EXPECT_EQ(r->duplicates, 2);
}

TEST(Corpus, NoPrivateKeyEverReachesTheStore) {
  testing_support::TempHome home;
  Layout layout = Layout::at(home.path());
  std::vector<SourceSpec> specs;
  std::vector<std::string> secrets;
  for (const auto& row : manifest()) {
    std::string content = read_file(corpus_dir() + "/" + row.path);
    for (auto& l : key_lines(content)) secrets.push_back(l);
    std::string copy = home.write("corpus/" + row.path, content);
    specs.push_back({copy, copy});
  }
  ASSERT_GE(secrets.size(), 20u);  // the corpus does hold keys, so the check below means something
  auto r = update_store(layout, specs, {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GT(r->anchors, 50);
  for (const std::string& file :
       {layout.merged, layout.merged_index, layout.merge_state, layout.cert_cache}) {
    std::string written = read_file(file);
    EXPECT_EQ(written.find("PRIVATE KEY"), std::string::npos) << file;
    for (const auto& secret : secrets) {
      ASSERT_EQ(written.find(secret), std::string::npos) << file << " holds key material";
    }
  }
}

}  // namespace
}  // namespace trust
