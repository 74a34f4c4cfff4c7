#include "agent/acknowledgements.h"

#include <algorithm>
#include <array>
#include <sstream>
#include <string_view>

#include "trust/atomic_file.h"
#include "trust/fingerprint.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace agent {
namespace {

std::string path_of(const trust::Layout& layout) { return layout.acknowledged; }

// Warnings about one certificate that an administrator may accept. Those that mean a server is
// (or is about to be) refused are not among them: server_certificate_expired,
// server_not_switched.
constexpr std::array<std::string_view, 7> kAcknowledgeable = {"anchor_expired",
                                                              "expires_soon_no_reserve",
                                                              "reserve_activation_too_soon",
                                                              "validity_over_397_days",
                                                              "weak_key",
                                                              "sha1_signature",
                                                              "partial_chain_anchor"};
constexpr size_t kMaxAcknowledgements = 10000;

bool is_code(const std::string& code) {
  return std::find(kAcknowledgeable.begin(), kAcknowledgeable.end(), code) !=
         kAcknowledgeable.end();
}

trust::Result<void> save(const trust::Layout& layout, const std::vector<Acknowledgement>& acks) {
  std::string out;
  for (const auto& a : acks) out += a.code + "\t" + a.sha256 + "\n";
  if (auto made = trust::make_directories(layout.state_dir); !made) return made;
  return trust::write_file_atomic(path_of(layout), out);
}

trust::Result<void> check(const Acknowledgement& a) {
  if (!is_code(a.code)) {
    std::string codes;
    for (auto c : kAcknowledgeable) codes += (codes.empty() ? "" : ", ") + std::string(c);
    return trust::make_error(trust::Code::kBadInput,
                             "'" + a.code + "' cannot be acknowledged (these can: " + codes + ")");
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
  for (auto& [code, sha256] : trust::tab_pairs(*text)) {
    Acknowledgement a{std::move(code), std::move(sha256)};
    if (check(a)) out.push_back(std::move(a));
  }
  return out;
}

trust::Result<void> acknowledge(const trust::Layout& layout, const Acknowledgement& a) {
  if (auto ok = check(a); !ok) return ok;
  // A file that is there but cannot be read is not rewritten: that would drop what it holds.
  if (trust::probe_source(path_of(layout)).presence == trust::SourceProbe::Presence::kPresent) {
    if (auto text = trust::read_source_file(path_of(layout), 1 << 20); !text) return text.error();
  }
  auto acks = load_acknowledgements(layout);
  if (acks.size() >= kMaxAcknowledgements) {
    return trust::make_error(trust::Code::kBadInput, path_of(layout) + " already holds " +
                                                         std::to_string(kMaxAcknowledgements) +
                                                         " acknowledgements");
  }
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
                            std::vector<trust::AnchorWarning>& warnings,
                            const std::vector<std::string>& presented) {
  for (auto& w : warnings) {
    if (w.sha256.empty() || w.information) continue;
    if (std::find(acks.begin(), acks.end(), Acknowledgement{w.code, w.sha256}) == acks.end()) {
      continue;
    }
    if (std::find(presented.begin(), presented.end(), w.sha256) != presented.end()) {
      w.message +=
          " (acknowledged, but one of the agent's own servers was last seen presenting "
          "this certificate: the acknowledgement does not hold while it does)";
      continue;
    }
    w.information = true;
    w.message += " (acknowledged: trustagent acknowledge --remove " + w.code + " " + w.sha256 +
                 " to warn again)";
  }
}

}  // namespace agent
