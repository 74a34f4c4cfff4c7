#include "agent/acknowledgements.h"

#include <algorithm>
#include <sstream>

#include "trust/atomic_file.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

std::string path_of(const trust::Layout& layout) { return layout.state_dir + "/acknowledged"; }

bool is_code(const std::string& code) {
  return !code.empty() && code.size() <= 64 &&
         std::all_of(code.begin(), code.end(), [](unsigned char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

trust::Result<void> save(const trust::Layout& layout, const std::vector<Acknowledgement>& acks) {
  std::string out;
  for (const auto& a : acks) out += a.code + "\t" + a.sha256 + "\n";
  if (auto made = trust::make_directories(layout.state_dir); !made) return made;
  return trust::write_file_atomic(path_of(layout), out);
}

trust::Result<void> check(const Acknowledgement& a) {
  if (!is_code(a.code)) {
    return trust::make_error(trust::Code::kBadInput,
                             "'" + a.code + "' is not a warning code (status lists them)");
  }
  if (!trust::sha256_from_hex(a.sha256)) {
    return trust::make_error(trust::Code::kBadInput,
                             "'" + a.sha256 + "' is not a SHA-256 fingerprint");
  }
  return {};
}

}  // namespace

std::vector<Acknowledgement> load_acknowledgements(const trust::Layout& layout) {
  std::vector<Acknowledgement> out;
  auto text = trust::read_source_file(path_of(layout), 1 << 20);
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    Acknowledgement a{line.substr(0, tab), line.substr(tab + 1)};
    if (check(a)) out.push_back(std::move(a));
  }
  return out;
}

trust::Result<void> acknowledge(const trust::Layout& layout, const Acknowledgement& a) {
  if (auto ok = check(a); !ok) return ok;
  auto acks = load_acknowledgements(layout);
  if (std::find(acks.begin(), acks.end(), a) != acks.end()) return {};
  acks.push_back(a);
  return save(layout, acks);
}

trust::Result<void> withdraw_acknowledgement(const trust::Layout& layout,
                                             const Acknowledgement& a) {
  auto acks = load_acknowledgements(layout);
  auto before = acks.size();
  std::erase(acks, a);
  if (acks.size() == before) {
    return trust::make_error(trust::Code::kBadInput,
                             "no acknowledgement of " + a.code + " for " + a.sha256);
  }
  return save(layout, acks);
}

void apply_acknowledgements(const std::vector<Acknowledgement>& acks,
                            std::vector<trust::AnchorWarning>& warnings) {
  for (auto& w : warnings) {
    if (w.sha256.empty() || w.information) continue;
    if (std::find(acks.begin(), acks.end(), Acknowledgement{w.code, w.sha256}) == acks.end()) {
      continue;
    }
    w.information = true;
    w.message += " (acknowledged: trustagent acknowledge --remove " + w.code + " " + w.sha256 +
                 " to warn again)";
  }
}

}  // namespace agent
