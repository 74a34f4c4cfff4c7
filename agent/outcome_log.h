// What a store sync and a policy refresh have to say beside their result (refused sources and
// policies, skipped blocks, rollover events, failed hooks, authentication bypassed), said the same
// way by every command and by the daemon, through agent::Log.
#pragma once

#include "agent/log.h"
#include "agent/refresh.h"
#include "agent/store_sync.h"

namespace agent {

void log_store_outcome(const StoreOutcome& outcome, const Log& log);

// The refresh's own events; its `applied` store is logged separately (log_store_outcome), since
// the daemon also logs the store it synced before the refresh.
void log_refresh_report(const RefreshReport& report, const Log& log);

}  // namespace agent
