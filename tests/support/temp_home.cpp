#include "tests/support/temp_home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace testing_support {

TempHome::TempHome() {
  std::string tmpl = (fs::temp_directory_path() / "trustagent-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  fs::create_directories(path_ + "/etc");
}

TempHome::~TempHome() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempHome::write(const std::string& path, const std::string& content) const {
  std::string full = path.empty() || path[0] != '/' ? path_ + "/" + path : path;
  fs::create_directories(fs::path(full).parent_path());
  {
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + full);
  }
  ::chmod(full.c_str(), 0644);
  return full;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename() != "lock") {
      out[fs::relative(entry.path(), dir).string()] = read_file(entry.path().string());
    }
  }
  return out;
}

std::string source_root() { return TRUSTAGENT_SOURCE_DIR; }

}  // namespace testing_support
