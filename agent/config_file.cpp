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

bool is_section_header(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  return i != std::string::npos && line[i] == '[';
}

// " # why" at the end of a value line, with the whitespace before it; "" when there is none.
std::string inline_comment(const std::string& line) {
  size_t hash = line.find(" #");
  if (hash == std::string::npos) hash = line.find("\t#");
  if (hash == std::string::npos) return "";
  while (hash > 0 && (line[hash - 1] == ' ' || line[hash - 1] == '\t')) --hash;
  return line.substr(hash);
}

}  // namespace

std::string with_setting(const std::string& content, const std::string& key,
                         const std::string& value) {
  std::istringstream in(content);
  std::string line, out;
  const std::string setting = key + " = " + value;
  bool done = false, in_section = false;
  while (std::getline(in, line)) {
    if (!in_section && is_section_header(line)) {
      in_section = true;
      if (!done) {
        out += setting + "\n";
        done = true;
      }
    }
    if (!in_section && sets(line, key)) {
      if (done) continue;
      line = setting + inline_comment(line);
      done = true;
    }
    out += line + "\n";
  }
  if (!done) out += setting + "\n";
  return out;
}

}  // namespace agent
