#include "agent/policy_removal.h"

#include <algorithm>
#include <sstream>

#include "policy/policy.h"
#include "trust/atomic_file.h"
#include "trust/reserve_state.h"
#include "trust/rollover.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace agent {
namespace {

std::string holds_path(const trust::Layout& layout) { return layout.held_back; }

trust::Result<void> save(const trust::Layout& layout, const std::vector<HeldBackPolicy>& holds) {
  std::string out;
  for (const auto& h : holds) out += h.guid + "\t" + std::to_string(h.revision) + "\n";
  if (auto made = trust::make_directories(layout.state_dir); !made) return made;
  return trust::write_file_atomic(holds_path(layout), out);
}

}  // namespace

std::vector<HeldBackPolicy> load_held_back_policies(const trust::Layout& layout) {
  std::vector<HeldBackPolicy> out;
  auto text = trust::read_source_file(holds_path(layout), 1 << 20);
  if (!text) return out;
  for (auto& [guid, revision] : trust::tab_pairs(*text)) {
    HeldBackPolicy h{std::move(guid), 0};
    if (policy::is_valid_guid(h.guid) && trust::parse_number(revision, h.revision)) {
      out.push_back(std::move(h));
    }
  }
  return out;
}

const HeldBackPolicy* hold_on(const std::vector<HeldBackPolicy>& holds,
                              const policy::IndexEntry& entry) {
  for (const auto& h : holds) {
    if (h.guid == entry.guid && entry.revision <= h.revision) return &h;
  }
  return nullptr;
}

std::vector<std::string> files_policy_removal_edits(const trust::Layout& layout,
                                                    const std::string& guid) {
  std::vector<std::string> out = {holds_path(layout)};
  if (policy::is_valid_guid(guid)) out.push_back(layout.policy_file(guid));
  return out;
}

trust::Result<PolicyRemoved> remove_policy_locally(const trust::Layout& layout,
                                                   const std::string& guid) {
  if (!policy::is_valid_guid(guid)) {
    return trust::make_error(trust::Code::kBadInput,
                             "'" + guid + "' is not a policy GUID (letters, digits, - _ { })");
  }
  std::string path = layout.policy_file(guid);
  auto content = trust::read_source_file(path, policy::kMaxPolicyBytes);
  if (!content) {
    return trust::make_error(trust::Code::kBadInput,
                             "no policy " + guid + " on this endpoint (" + path + ")");
  }
  PolicyRemoved out;
  out.hold = {guid, 0};
  // A damaged copy is removed too; its revision is unknown, so only revision 0 is held back.
  if (auto parsed = policy::parse_policy(*content, path)) out.hold.revision = parsed->revision;
  std::vector<HeldBackPolicy> holds = load_held_back_policies(layout);
  std::erase_if(holds, [&](const HeldBackPolicy& h) { return h.guid == guid; });
  holds.push_back(out.hold);
  // The hold first: a crash between the two leaves the policy held back and still stored, which
  // the next `policy remove` completes, never a policy that the next refresh brings back.
  if (auto saved = save(layout, holds); !saved) return saved.error();
  if (auto gone = trust::remove_file_durably(path); !gone) return gone.error();
  for (const auto& r : trust::load_reserve_state(layout.reserve_state).reserves) {
    // One that a server was seen presenting may be what the endpoint depends on now: it stays
    // (reserve remove takes it out by hand). Its activation time decides nothing.
    if (!r.origin.is_policy(guid) || r.seen_at != 0) {
      if (r.origin.is_policy(guid)) out.kept_reserves.push_back(r.sha256);
      continue;
    }
    auto fp = trust::Fingerprint{trust::Fingerprint::Algorithm::kSha256, r.sha256};
    if (auto gone = trust::remove_reserve(layout, fp); !gone) return gone.error();
    out.withdrawn_reserves.push_back(r.sha256);
  }
  return out;
}

trust::Result<bool> release_hold(const trust::Layout& layout, const std::string& guid,
                                 int64_t installed_revision) {
  std::vector<HeldBackPolicy> holds = load_held_back_policies(layout);
  for (const auto& h : holds) {
    if (h.guid == guid && installed_revision <= h.revision) return false;
  }
  auto before = holds.size();
  std::erase_if(holds, [&](const HeldBackPolicy& h) { return h.guid == guid; });
  if (holds.size() == before) return true;
  if (auto saved = save(layout, holds); !saved) return saved.error();
  return true;
}

}  // namespace agent
