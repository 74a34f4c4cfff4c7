// After every regeneration of the merged store, each executable in <home>/etc/hooks.d runs, in name
// order, so an operator can audit the change or restart a service that reads the store.
//
// A hook gets on standard input one line per change, "added <sha256> <subject>" or
// "removed <sha256> <subject>", and in its environment TRUSTAGENT_HOME, TRUSTAGENT_STORE,
// TRUSTAGENT_ANCHORS, TRUSTAGENT_ADDED and TRUSTAGENT_REMOVED (the counts). Its standard output
// goes to trustagent's standard error. It starts in a process group of its own with no signal
// blocked and every disposition the default, whatever the caller blocks or ignores, and is run
// through the descriptor whose file was checked. It has 10 seconds; then its process group is
// killed.
// A hook, or hooks.d, that another user could write is not run. A failing hook is reported and
// does not undo the merge.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "trust/layout.h"
#include "trust/merge.h"

namespace agent {

struct HookRun {
  std::string name;
  int exit_code = 0;  // -1 when it did not run to completion
  bool timed_out = false;
  std::string error;  // why it failed, "" when it exited 0

  bool ok() const { return error.empty(); }
};

std::vector<HookRun> run_hooks(const trust::Layout& layout, const trust::MergeReport& report,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace agent
