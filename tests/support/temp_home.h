// A throwaway agent home, files written into it, and byte-exact snapshots to prove that a failed
// command changed nothing.
#pragma once

#include <map>
#include <string>

namespace testing_support {

class TempHome {
 public:
  TempHome();
  ~TempHome();
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;

  const std::string& path() const { return path_; }
  std::string etc(const std::string& name) const { return path_ + "/etc/" + name; }
  // Writes `content` to path (relative to the home, or absolute), creating directories, mode 0644.
  std::string write(const std::string& path, const std::string& content) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

// Every regular file under dir, by relative path, with its content.
std::map<std::string, std::string> snapshot(const std::string& dir);

// The repository's source root (for ../shared/corpus).
std::string source_root();

}  // namespace testing_support
