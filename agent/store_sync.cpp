#include "agent/store_sync.h"

#include "policy/source_list.h"
#include "trust/atomic_file.h"
#include "trust/file_lock.h"
#include "trust/rollover.h"

#include <ctime>

namespace agent {

trust::Result<StoreOutcome> sync_store(const StoreRequest& request, const Mutation& mutate) {
  trust::Layout layout = trust::Layout::at(request.home);
  // Validate the command-line sources before touching anything: a usage error changes nothing.
  if (auto checked = policy::build_source_list(layout, request.ca_files); !checked) {
    return checked.error();
  }
  if (auto made = trust::make_directories(layout.var_dir); !made) return made.error();
  auto lock = trust::FileLock::acquire(layout.lock, request.lock_timeout_seconds);
  if (!lock) return lock.error();

  if (mutate) {
    if (auto changed = mutate(layout); !changed) return changed.error();
  }
  // Policies are read after the mutation, so a refresh that just stored them applies them now.
  policy::LoadedPolicies loaded = policy::load_policy_dir(layout.policies_dir);
  StoreOutcome outcome;
  outcome.effective = policy::effective_settings(std::move(loaded.policies));
  outcome.policy_errors = std::move(loaded.refused);
  outcome.now = std::time(nullptr);
  std::vector<trust::ReserveOffer> offers;
  for (const auto& p : outcome.effective.policies) {
    for (const auto& r : p.reserves) offers.push_back({r.der, r.activate_at, p.guid});
  }
  auto rollover =
      trust::maintain_rollover(layout, offers, outcome.now, outcome.policy_errors.empty());
  if (!rollover) return rollover.error();
  outcome.rollover = std::move(*rollover);
  auto& pins = outcome.effective.pins.value;
  pins = trust::pins_following_rollover(pins, outcome.rollover.reserves, outcome.now);
  auto sources = policy::build_source_list(layout, request.ca_files, outcome.effective);
  if (!sources) return sources.error();
  auto report = trust::update_store(layout, *sources, request.merge);
  if (!report) return report.error();
  outcome.report = std::move(*report);
  if (outcome.report.regenerated) outcome.hooks = run_hooks(layout, outcome.report);
  return outcome;
}

}  // namespace agent
