#include "agent/store_sync.h"

#include <filesystem>

#include <unistd.h>

#include <optional>
#include <utility>

#include "agent/server_watch.h"
#include "policy/source_list.h"
#include "trust/atomic_file.h"
#include "trust/cert_cache.h"
#include "trust/file_lock.h"
#include "trust/hashed_directory.h"
#include "trust/reserve_state.h"
#include "trust/rollover.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

// The files a change may edit, as they were before it. (Hard links would survive a full disk
// better, but a link changes the file's ctime, which the merge's no-change check watches.)
class Undo {
 public:
  Undo(const trust::Layout& l, const std::vector<std::string>& also) {
    std::vector<std::string> paths = {l.cainfo, l.cainfo_ss, l.cainfo_reserve, l.reserve_state,
                                      l.retired};
    paths.insert(paths.end(), also.begin(), also.end());
    for (const auto& path : paths) {
      auto content = trust::read_source_file(path);
      saved_.push_back(
          {path, content ? std::optional<std::string>(std::move(*content)) : std::nullopt});
    }
  }

  // The first failure to put a file back, if any (the change's own error is reported first).
  std::optional<trust::Error> put_back() const {
    std::optional<trust::Error> first;
    for (const auto& [path, content] : saved_) {
      auto now = trust::read_source_file(path);
      if (content ? (now && *now == *content) : !now) continue;  // untouched
      auto restored =
          content ? trust::write_file_atomic(path, *content) : trust::remove_file_durably(path);
      if (!restored && !first) first = restored.error();
    }
    return first;
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// The outcome of a command that reads the store when the disk takes no writes.
trust::Result<StoreOutcome> last_good_store(const trust::Layout& layout, const trust::Error& why,
                                            int64_t now) {
  auto report = trust::last_merge_report(layout);
  if (!report) return why;
  StoreOutcome outcome;
  outcome.report = std::move(*report);
  outcome.report.notes.push_back("the store could not be brought up to date (" + why.message +
                                 "); working from the last good store");
  outcome.stale_because = why.message;
  policy::LoadedPolicies loaded = policy::load_policy_dir(layout.policies_dir);
  outcome.effective = policy::effective_settings(std::move(loaded.policies));
  outcome.policy_errors = std::move(loaded.refused);
  outcome.now = now;
  // The reserves as last recorded, so that roles and pins follow the rollover as they did.
  outcome.rollover.reserves = trust::load_reserve_state(layout.reserve_state).reserves;
  auto& pins = outcome.effective.pins.value;
  pins = trust::pins_following_rollover(pins, outcome.rollover.reserves, outcome.now);
  return outcome;
}

// After the store is written: a failure here is reported, and changes neither the store nor
// whether the hooks run.
void update_hashed_directory(const trust::Layout& layout, const StoreRequest& request,
                             StoreOutcome& outcome) {
  auto capath = trust::keep_hashed_directory(layout, request.hashed_directory, request.merge.force);
  if (!capath) {
    outcome.hashed_directory_error = capath.error();
    return;
  }
  if (*capath == trust::HashedDirectoryChange::kRemoved) {
    outcome.report.notes.push_back(layout.capath + " removed: the hashed directory was turned off");
  } else if (request.hashed_directory != false && ::access(layout.capath.c_str(), F_OK) == 0) {
    outcome.hashed_directory = layout.capath;
  }
}

StoreOutcome policies_in_force(const trust::Layout& layout) {
  policy::LoadedPolicies loaded = policy::load_policy_dir(layout.policies_dir);
  StoreOutcome outcome;
  outcome.effective = policy::effective_settings(std::move(loaded.policies));
  outcome.policy_errors = std::move(loaded.refused);
  return outcome;
}

// What the rollover decides from: the reserves the policies publish, and what the agent's own
// servers were seen presenting.
trust::RolloverInputs rollover_inputs(const trust::Layout& layout, const StoreOutcome& outcome) {
  trust::RolloverInputs inputs;
  for (const auto& p : outcome.effective.policies) {
    for (const auto& r : p.reserves)
      inputs.offers.push_back({r.der, r.activate_at, p.guid, r.replaces});
  }
  inputs.policies_complete = outcome.policy_errors.empty();
  ServersSeen seen = load_servers_seen(layout);
  inputs.seen = std::move(seen.in_use);
  for (const auto& leaf : seen.leaves) inputs.presented_by_own_servers.push_back(leaf.sha256);
  return inputs;
}

}  // namespace

trust::Result<void> prepare_private_directories(const trust::Layout& layout) {
  for (const auto& dir : {layout.var_dir, layout.state_dir}) {
    if (auto made = trust::make_directories(dir); !made) return made;
    if (std::string why; !trust::is_private_directory(dir, &why)) {
      return trust::make_error(trust::Code::kBadInput, dir + ": refused: " + why);
    }
  }
  // Policies another user could plant or drop: refused as loudly, not applied as none.
  std::error_code ec;
  if (std::filesystem::exists(layout.policies_dir, ec)) {
    if (std::string why; !trust::is_private_directory(layout.policies_dir, &why)) {
      return trust::make_error(trust::Code::kBadInput, layout.policies_dir + ": refused: " + why);
    }
  }
  return {};
}

trust::Result<StoreOutcome> sync_store(const StoreRequest& request, const Mutation& mutate) {
  trust::Layout layout = trust::Layout::at(request.home);
  // Validate the command-line sources before touching anything: a usage error changes nothing.
  if (auto checked = policy::build_source_list(layout, request.ca_files); !checked) {
    return checked.error();
  }
  auto fall_back = [&](const trust::Error& e) -> trust::Result<StoreOutcome> {
    if (request.last_good_store_will_do && !mutate && e.storage) {
      return last_good_store(layout, e, request.clock->now());
    }
    return e;
  };
  if (auto made = prepare_private_directories(layout); !made) return fall_back(made.error());
  auto lock = trust::FileLock::acquire(layout.lock, request.lock_timeout_seconds);
  if (!lock) return fall_back(lock.error());

  // One certificate cache for the run: what the change or the rollover decodes, the merge does
  // not decode again.
  trust::CertCache cache = trust::CertCache::on_demand(layout.cert_cache);
  std::optional<Undo> undo;
  if (mutate) {
    undo.emplace(layout, request.also_undo);
    if (auto changed = mutate(layout, cache); !changed) {
      (void)undo->put_back();
      return changed.error();
    }
  }
  auto failed = [&](trust::Error e) -> trust::Result<StoreOutcome> {
    if (!undo) return fall_back(e);
    if (auto stuck = undo->put_back()) {
      e.message += "; and the change could not be undone: " + stuck->message;
    } else {
      e.message += "; the change was undone";
    }
    return e;
  };
  // Policies are read after the mutation, so a refresh that just stored them applies them now.
  StoreOutcome outcome = policies_in_force(layout);
  trust::ClockReading clock = request.clock->read();
  outcome.now = clock.wall;
  auto rollover = trust::maintain_rollover(layout, rollover_inputs(layout, outcome), clock, &cache);
  if (!rollover) return failed(rollover.error());
  outcome.rollover = std::move(*rollover);
  auto& pins = outcome.effective.pins.value;
  pins = trust::pins_following_rollover(pins, outcome.rollover.reserves, outcome.now);
  auto sources = policy::build_source_list(layout, request.ca_files, outcome.effective);
  if (!sources) return failed(sources.error());
  auto report = trust::update_store(layout, *sources, request.merge, &cache);
  if (!report) return failed(report.error());
  outcome.report = std::move(*report);
  update_hashed_directory(layout, request, outcome);
  if (outcome.report.regenerated) outcome.hooks = run_hooks(layout, outcome.report);
  return outcome;
}

}  // namespace agent
