// The one way every command brings the merged store up to date: take the writer lock, optionally
// change an agent-managed source, maintain the reserves (trust/rollover.h), merge (cheap when
// nothing changed), and run the hooks if the store was regenerated.
//
// A change is all or nothing: the agent-managed sources and the reserve records are put back as
// they were (by rename, which needs no free space) when the maintenance or the merge after the
// change fails, so a source never holds a certificate the published store was refused.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "agent/hooks.h"
#include "policy/policy_set.h"
#include "trust/cert_cache.h"
#include "trust/clock.h"
#include "trust/layout.h"
#include "trust/merge.h"
#include "trust/result.h"
#include "trust/rollover.h"

namespace agent {

struct StoreRequest {
  std::string home;
  std::vector<std::string> ca_files;
  double lock_timeout_seconds = 10;
  trust::MergeOptions merge;
  // For commands that only read the store (list, status, connect, policy show): when the disk
  // takes no writes (full, read-only), go on with the last good store and say so in a note.
  bool last_good_store_will_do = false;
  // Files beyond the agent-managed sources and reserve records that a Mutation edits: put back
  // too when what follows it fails.
  std::vector<std::string> also_undo;
  // etc/capath, the store as a hashed directory (trust/hashed_directory.h): true makes and keeps
  // it, nullopt keeps one the agent made in step, false removes it.
  std::optional<bool> hashed_directory;
  // The time every decision of the run is made at (roles, pins, rollover, warnings).
  const trust::Clock* clock = &trust::system_clock();
};

struct StoreOutcome {
  trust::MergeReport report;
  std::vector<HookRun> hooks;
  policy::Effective effective;     // the policies in force; pins already follow the rollover
  trust::RolloverReport rollover;  // the reserves, and what maintenance changed
  int64_t now = 0;                 // the instant roles and pins were decided at
  std::vector<trust::Error> policy_errors;  // stored policies that did not parse (not applied)
  // The disk took no writes and this is the last good store, not one brought up to date: a
  // source may have changed since (even dropped an anchor) without the store following.
  std::optional<std::string> stale_because;
  std::optional<std::string> hashed_directory;  // etc/capath, when kept
  // The store was written and the hooks ran, but etc/capath could not be brought in step (the
  // next command tries again); the command fails with this.
  std::optional<trust::Error> hashed_directory_error;
};

// A change under the writer lock: a callable taking the layout, and optionally the run's one
// certificate cache, in which it may leave what it decoded so that the rollover and the merge
// after it decode nothing twice (a 100,000-certificate `add` decodes each certificate once).
class Mutation {
 public:
  using Run = std::function<trust::Result<void>(const trust::Layout&, trust::CertCache&)>;

  Mutation() = default;
  template <class F>
  requires std::is_invocable_r_v<trust::Result<void>, F&, const trust::Layout&, trust::CertCache&>
  Mutation(F f) : run_(std::move(f)) {}
  template <class F>
  requires std::is_invocable_r_v<trust::Result<void>, F&, const trust::Layout&> Mutation(F f)
      : run_([f = std::move(f)](const trust::Layout& layout, trust::CertCache&) mutable {
          return f(layout);
        }) {}

  explicit operator bool() const { return static_cast<bool>(run_); }
  trust::Result<void> operator()(const trust::Layout& layout, trust::CertCache& cache) const {
    return run_(layout, cache);
  }

 private:
  Run run_;
};

// A Mutation that runs `edit` (layout [, cache] -> Result<T>) and keeps its value in `out`.
template <class T, class Edit>
Mutation keeping(T& out, Edit edit) {
  return Mutation(
      [&out, edit](const trust::Layout& layout, trust::CertCache& cache) -> trust::Result<void> {
        auto r = [&] {
          if constexpr (std::is_invocable_v<const Edit&, const trust::Layout&, trust::CertCache&>) {
            return edit(layout, cache);
          } else {
            return edit(layout);
          }
        }();
        if (!r) return r.error();
        out = std::move(*r);
        return {};
      });
}

// Creates var/ and var/state/ when missing and checks that only the agent can write them, and
// var/policies/ when it exists (their files are locks, records and policies the agent believes:
// trust/source_check.h, is_private_directory).
// kBadInput naming the directory otherwise.
trust::Result<void> prepare_private_directories(const trust::Layout& layout);

trust::Result<StoreOutcome> sync_store(const StoreRequest& request, const Mutation& mutate = {});

}  // namespace agent
