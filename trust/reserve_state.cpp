#include "trust/reserve_state.h"

#include <sstream>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

constexpr std::string_view kHeaderV1 = "trustagent-reserves 1";
constexpr std::string_view kHeader = "trustagent-reserves 2";

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

std::string field_or_dash(const std::string& s) { return safe_field(s) ? s : "-"; }

bool parse_reserve(const std::vector<std::string>& f, bool v1, Reserve& r) {
  if (f.size() != (v1 ? 5u : 9u)) return false;
  r.sha256 = f[1];
  if (!parse_number(f[2], r.activate_at)) return false;
  r.origin = ReserveOrigin::from_record(f[3]);
  if (f[4] != "-") r.replaces = split(f[4], ',');
  if (v1) return true;
  return parse_number(f[5], r.arrived_at) && parse_number(f[6], r.seen_at) &&
         parse_number(f[7], r.replaced_until) && parse_number(f[8], r.retired_at);
}

bool parse_clock(const std::vector<std::string>& f, ClockRecord& c) {
  if (f.size() != 6) return false;
  c.boot_id = f[3] == "-" ? "" : f[3];
  return parse_number(f[1], c.wall) && parse_number(f[2], c.boot) &&
         parse_number(f[4], c.jump_at) && parse_number(f[5], c.jump_seconds);
}

}  // namespace

std::string ReserveOrigin::text() const {
  switch (kind) {
    case Kind::kCommandLine:
      return "cli";
    case Kind::kFoundInFile:
      return "file";
    case Kind::kPolicy:
      break;
  }
  return guid;
}

std::string ReserveOrigin::record() const {
  // Only the guids that spell another origin need the prefix; every other one is written bare, as
  // 0.6.0 wrote it and reads it, so a downgrade keeps the policies' reserves.
  bool ambiguous = kind == Kind::kPolicy && (guid == "cli" || guid == "file");
  return ambiguous ? "policy:" + guid : text();
}

ReserveOrigin ReserveOrigin::from_record(const std::string& field) {
  if (field == "cli") return command_line();
  if (field == "file") return found_in_file();
  if (field.rfind("policy:", 0) == 0) return policy(field.substr(7));
  return policy(field);
}

ReserveState load_reserve_state(const std::string& path) {
  auto content = read_source_file(path, 4 << 20);
  if (!content) return {};
  std::istringstream in(*content);
  std::string line;
  if (!std::getline(in, line) || (line != kHeader && line != kHeaderV1)) return {};
  bool v1 = line == kHeaderV1;
  ReserveState state;
  while (std::getline(in, line)) {
    auto f = split(line, '\t');
    bool ok = false;
    if (f.size() == 3 && f[0] == "check") {
      ok = parse_number(f[1], state.next_event);
      state.check_key = f[2];
    } else if (f.size() == 2 && f[0] == "watch" && !v1) {
      ok = true;
      if (f[1] != "-") state.watched = split(f[1], ',');
    } else if (!f.empty() && f[0] == "clock" && !v1) {
      ok = parse_clock(f, state.clock);
    } else if (!f.empty() && f[0] == "reserve") {
      Reserve r;
      ok = parse_reserve(f, v1, r);
      state.reserves.push_back(std::move(r));
    }
    if (!ok) return {};
  }
  return state;
}

Result<void> save_reserve_state(const std::string& path, const ReserveState& state) {
  std::string out = std::string(kHeader) + "\n";
  out +=
      "check\t" + std::to_string(state.next_event) + "\t" + field_or_dash(state.check_key) + "\n";
  std::string watched;
  for (const auto& sha : state.watched) {
    if (safe_field(sha)) watched += (watched.empty() ? "" : ",") + sha;
  }
  out += "watch\t" + (watched.empty() ? std::string("-") : watched) + "\n";
  const ClockRecord& c = state.clock;
  out += "clock\t" + std::to_string(c.wall) + "\t" + std::to_string(c.boot) + "\t" +
         field_or_dash(c.boot_id) + "\t" + std::to_string(c.jump_at) + "\t" +
         std::to_string(c.jump_seconds) + "\n";
  for (const auto& r : state.reserves) {
    std::string replaces;
    for (const auto& p : r.replaces) {
      if (safe_field(p)) replaces += (replaces.empty() ? "" : ",") + p;
    }
    out += "reserve\t" + r.sha256 + "\t" + std::to_string(r.activate_at) + "\t" +
           field_or_dash(r.origin.record()) + "\t" + (replaces.empty() ? "-" : replaces) + "\t" +
           std::to_string(r.arrived_at) + "\t" + std::to_string(r.seen_at) + "\t" +
           std::to_string(r.replaced_until) + "\t" + std::to_string(r.retired_at) + "\n";
  }
  if (auto made = make_directories(parent_directory(path)); !made) return made;
  return write_file_atomic(path, out);
}

}  // namespace trust
