// trustagent run: the agent as a service. Each cycle refreshes the policies from the central
// server (or, with no server configured, just brings the store up to date), applies them, and
// writes <home>/var/state/status.json atomically. Then it waits for the next cycle as
// agent/schedule.h says: the interval, a backoff after failures, and at a restart a random part
// of the jitter before the first cycle, every one with random jitter so a fleet never arrives at
// once. A failed cycle keeps the last good state.
// The index is fetched whole (no validators) at start, on SIGHUP and at least daily, conditionally
// otherwise. SIGHUP starts a cycle now; SIGTERM and SIGINT stop at once, exit 0. One daemon per
// home (<home>/var/daemon.lock, exit 4); the writer lock is held only during a cycle, so CLI
// commands that write simply wait their turn.
#pragma once

#include <string>

#include "agent/refresh.h"

namespace agent {

struct DaemonOptions {
  StoreRequest store;
  std::string server;  // as for policy refresh; empty: config or the policy's <Server>
  std::vector<std::string> mirrors;  // as for policy refresh
  double timeout_seconds = 30;
  bool once = false;    // one cycle, exit with its status
  bool syslog = false;  // log to syslog instead of stderr
};

int run_daemon(const DaemonOptions& options);  // the process exit status

}  // namespace agent
