#include "agent/config_file.h"

#include <sstream>

namespace agent {
namespace {

bool sets(const std::string& line, const std::string& key) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line.compare(i, key.size(), key) != 0) return false;
  size_t after = line.find_first_not_of(" \t", i + key.size());
  return after != std::string::npos && line[after] == '=';
}

}  // namespace

std::string with_setting(const std::string& content, const std::string& key,
                         const std::string& value) {
  std::istringstream in(content);
  std::string line, out;
  bool done = false;
  while (std::getline(in, line)) {
    if (sets(line, key)) {
      if (done) continue;
      line = key + " = " + value;
      done = true;
    }
    out += line + "\n";
  }
  if (!done) out += key + " = " + value + "\n";
  return out;
}

}  // namespace agent
