#include "trust/reserve_state.h"

#include <sstream>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

constexpr std::string_view kHeader = "trustagent-reserves 1";

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, separator)) out.push_back(field);
  return out;
}

bool safe_field(const std::string& s) {
  return !s.empty() && s.find_first_of("\t\n\r ,") == std::string::npos;
}

}  // namespace

ReserveState load_reserve_state(const std::string& path) {
  auto content = read_source_file(path, 4 << 20);
  if (!content) return {};
  std::istringstream in(*content);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) return {};
  ReserveState state;
  while (std::getline(in, line)) {
    auto f = split(line, '\t');
    if (f.size() == 3 && f[0] == "check") {
      if (!parse_number(f[1], state.next_event)) return {};
      state.check_key = f[2];
    } else if (f.size() == 5 && f[0] == "reserve") {
      Reserve r;
      r.sha256 = f[1];
      if (!parse_number(f[2], r.activate_at)) return {};
      r.origin = f[3];
      if (f[4] != "-") r.replaces = split(f[4], ',');
      state.reserves.push_back(std::move(r));
    } else {
      return {};
    }
  }
  return state;
}

Result<void> save_reserve_state(const std::string& path, const ReserveState& state) {
  std::string out = std::string(kHeader) + "\n";
  out += "check\t" + std::to_string(state.next_event) + "\t" +
         (state.check_key.empty() ? "-" : state.check_key) + "\n";
  for (const auto& r : state.reserves) {
    std::string replaces;
    for (const auto& p : r.replaces) {
      if (safe_field(p)) replaces += (replaces.empty() ? "" : ",") + p;
    }
    out += "reserve\t" + r.sha256 + "\t" + std::to_string(r.activate_at) + "\t" +
           (safe_field(r.origin) ? r.origin : "-") + "\t" + (replaces.empty() ? "-" : replaces) +
           "\n";
  }
  if (auto made = make_directories(parent_directory(path)); !made) return made;
  return write_file_atomic(path, out);
}

}  // namespace trust
