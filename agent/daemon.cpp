#include "agent/daemon.h"
#include "agent/json_text.h"

#include <signal.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "agent/log.h"
#include "agent/outcome_log.h"
#include "agent/schedule.h"
#include "agent/status.h"
#include "policy/policy_set.h"
#include "trust/atomic_file.h"
#include "trust/file_lock.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace agent {
namespace {

struct Cycle {
  bool ok = false;
  int exit_code = 0;
  nlohmann::json report;                // status.json's "cycle"
  std::optional<StoreOutcome> applied;  // the state in force after the cycle, if known
  int64_t interval = 3600, jitter = 300;
};

nlohmann::json changes(const std::vector<trust::AnchorChange>& list) {
  auto out = nlohmann::json::array();
  for (const auto& c : list) out.push_back({{"sha256", c.sha256}, {"subject", c.subject}});
  return out;
}

// A conditional GET cannot see a republish that the server's validators miss (nginx's ETag is the
// mtime in whole seconds plus the size). Fetching the whole index at start, on SIGHUP and at least
// this often bounds how long such a change can go unnoticed, at the price of one index download.

void log_refresh(const RefreshReport& r, bool full, const Log& log) {
  log_refresh_report(r, log);
  log.info(r.not_modified ? "policies not modified (304)"
                          : std::string(full ? "policies (whole index fetched): " : "policies: ") +
                                std::to_string(r.installed.size()) + " installed, " +
                                std::to_string(r.removed.size()) + " removed, " +
                                std::to_string(r.refused.size()) + " refused");
}

void log_applied(const StoreOutcome& applied, const Log& log) {
  const auto& m = applied.report;
  if (m.regenerated) {
    log.info("merged store regenerated (" + m.why + "): " + std::to_string(m.anchors) +
             " anchors, " + std::to_string(m.added.size()) + " added, " +
             std::to_string(m.removed.size()) + " removed");
  }
  log_store_outcome(applied, log);
}

// SIGTERM and SIGINT are blocked and taken between cycles; during one, a pending one is seen here
// (the connector asks about once a second), so a server that hangs cannot hold a stop.
bool stop_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (::sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

Cycle run_cycle(const DaemonOptions& options, bool full, const Log& log) {
  Cycle c;
  c.report["time"] = trust::to_iso8601(options.store.clock->now());
  auto fail = [&](const trust::Error& e) {
    c.exit_code = static_cast<int>(e.code);
    c.report["result"] = "error";
    c.report["message"] = e.message;
    log.error("cycle failed: " + e.message);
  };
  // Without any server to ask, the daemon still keeps the store in step with its sources.
  auto first = sync_store(options.store);
  if (!first) {
    fail(first.error());
    return c;
  }
  c.interval = first->effective.refresh_interval.value;
  c.jitter = first->effective.refresh_jitter.value;
  std::vector<PendingPolicy> not_installed;
  std::optional<StoreOutcome> before_refresh;  // the first sync, when the refresh synced again
  bool have_server = !options.server.empty() || !options.mirrors.empty() ||
                     !first->effective.server_url.value.empty() ||
                     !first->effective.mirrors.value.empty();
  if (have_server) {
    RefreshRequest request{options.store, options.server,  options.timeout_seconds,
                           full,          options.mirrors, stop_pending};
    auto r = refresh_policies(request, &*first);  // one sync_store per quiet cycle
    if (!r) {
      fail(r.error());
      c.applied = std::move(*first);  // the last good state stays in force, and is reported
      return c;
    }
    log_refresh(*r, full, log);
    c.report["refresh"] = {{"index", r->index_url},           {"full", full},
                           {"not_modified", r->not_modified}, {"installed", r->installed},
                           {"removed", r->removed},           {"refused", r->refused.size()}};
    // What the first sync changed (before the refresh) belongs to this cycle too; when nothing
    // was applied since, `applied` is that sync and is logged below, once.
    if (r->synced_again) {
      for (const auto& n : first->rollover.notes) log.notice("rollover: " + n);
      // An administrator's CA file changed before the refresh: that regeneration is this
      // cycle's too, in the log and in status.json, not only in the hooks it ran.
      if (first->report.regenerated) {
        log_applied(*first, log);
        before_refresh = std::move(*first);
      }
    }
    c.applied = std::move(r->applied);
    not_installed = std::move(r->not_installed);
  } else {
    c.applied = std::move(*first);
  }
  const StoreOutcome& applied = *c.applied;
  log_applied(applied, log);
  c.ok = not_installed.empty();
  c.report["result"] = "ok";
  // What the index lists and this endpoint does not hold is a failed cycle, whatever else worked.
  if (!c.ok) fail(trust::make_error(trust::Code::kBadInput, not_installed_summary(not_installed)));
  c.report["regenerated"] = applied.report.regenerated;
  c.report["added"] = changes(applied.report.added);
  c.report["removed"] = changes(applied.report.removed);
  if (before_refresh) {
    c.report["regenerated"] = true;
    for (const auto& a : changes(before_refresh->report.added)) c.report["added"].push_back(a);
    for (const auto& a : changes(before_refresh->report.removed)) c.report["removed"].push_back(a);
  }
  c.interval = applied.effective.refresh_interval.value;
  c.jitter = applied.effective.refresh_jitter.value;
  return c;
}

// The library reports failures as values; this is the last line of defence against one that
// throws all the same (a std::filesystem call without its error_code): a daemon that exits on it
// stops refreshing on every endpoint with the same disk problem.
Cycle guarded_cycle(const DaemonOptions& options, bool full, const Log& log) {
  try {
    return run_cycle(options, full, log);
  } catch (const std::exception& e) {
    Cycle c;
    c.exit_code = static_cast<int>(trust::Code::kBadInput);
    c.report = {{"time", trust::to_iso8601(options.store.clock->now())},
                {"result", "error"},
                {"message", std::string("unexpected failure: ") + e.what()}};
    log.error("cycle failed: unexpected failure: " + std::string(e.what()));
    return c;
  }
}

// status.json: what `trustagent status --json` shows, plus this cycle. The anchor warnings are
// logged every cycle, so a fleet's log collector sees them without reading the file.
std::string status_document(const trust::Layout& layout, const Cycle& c, const Log& log,
                            const std::string& server) {
  if (!c.applied) return json_text(nlohmann::json{{"cycle", c.report}});
  auto status = collect_status(layout, *c.applied, c.report, server);
  if (!status) {
    log.error("status: " + status.error().message);
    return json_text(nlohmann::json{{"cycle", c.report}});
  }
  for (const auto& w : status->warnings) {
    log(w.information ? Severity::kInfo : Severity::kWarning, w.code + ": " + w.message);
  }
  nlohmann::json doc = status_json(*status, *c.applied);
  doc["cycle"] = c.report;
  return json_text(doc);
}

// Sleeps `seconds` unless a signal comes first. False: stop (SIGTERM, SIGINT). SIGHUP ends the
// wait at once and asks for the whole index.
bool wait_for_next_cycle(const sigset_t& signals, int64_t seconds, const Log& log,
                         FullRefresh& full) {
  timespec wait{static_cast<time_t>(seconds), 0};
  while (true) {
    siginfo_t info{};
    int sig = sigtimedwait(&signals, &info, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      log.info(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
      return false;
    }
    if (sig == SIGHUP) {
      log.info("SIGHUP: refreshing now, whole index");
      full.ask();
      return true;
    }
    if (sig < 0 && errno == EINTR) continue;  // spurious; the remaining time is not tracked
    return true;                              // timeout: next cycle
  }
}

// A restart (the fleet upgraded, or the power came back) must not reach the central server all
// at once: the first cycle waits a random part of the jitter of the policy in force.
int64_t start_jitter(const trust::Layout& layout, std::mt19937_64& random) {
  auto effective =
      policy::effective_settings(policy::load_policy_dir(layout.policies_dir).policies);
  bool restarted = trust::read_source_file(layout.status, 16 << 20).has_value();
  return delay_before_first_cycle(
      {effective.refresh_interval.value, effective.refresh_jitter.value}, restarted, random);
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  Log log = Log::daemon(options.syslog, *options.store.clock);
  trust::Layout layout = trust::Layout::at(options.store.home);
  if (auto made = prepare_private_directories(layout); !made) {
    log.error(made.error().message);
    return static_cast<int>(made.error().code);
  }
  auto instance = trust::FileLock::acquire(layout.daemon_lock, 0);
  if (!instance) {
    if (instance.error().code != trust::Code::kLocked) {  // not another daemon: say what it is
      log.error(instance.error().message);
      return static_cast<int>(instance.error().code);
    }
    log.error("another trustagent daemon is running for " + layout.home);
    return static_cast<int>(trust::Code::kLocked);
  }
  // Signals are taken synchronously with sigtimedwait: the wait between cycles is the only place
  // they are acted on, so no handler ever interrupts a write half-way.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  sigprocmask(SIG_BLOCK, &signals, nullptr);

  std::mt19937_64 random(std::random_device{}());
  int failures = 0;
  FullRefresh full(FullRefresh::Clock::now());
  log.info("started for " + layout.home);
  if (!options.once) {
    int64_t start = start_jitter(layout, random);
    if (start > 0) {
      log.info("first cycle in " + std::to_string(start) + " s (start jitter)");
      if (!wait_for_next_cycle(signals, start, log, full)) return 0;
    }
  }
  while (true) {
    bool whole = full.due(FullRefresh::Clock::now());
    Cycle c = guarded_cycle(options, whole, log);
    if (stop_pending()) {
      // Cut short: nothing of it is recorded, and the wait below takes the signal at once.
      if (options.once) return c.exit_code;
      if (!wait_for_next_cycle(signals, 0, log, full)) return 0;
      continue;
    }
    full.cycle_ended(whole, c.ok, FullRefresh::Clock::now());
    Schedule schedule{c.interval, c.jitter};
    if (c.ok && failures > 0) {
      log.notice("recovered after " + std::to_string(failures) + " failed cycle" +
                 (failures == 1 ? "" : "s"));
    }
    failures = c.ok ? 0 : failures + 1;
    int64_t delay = c.ok ? delay_after_success(schedule, random)
                         : delay_after_failure(schedule, failures, random);
    c.report["next_cycle_in_seconds"] = delay;
    if (auto w = trust::write_file_atomic(layout.status,
                                          status_document(layout, c, log, options.server));
        !w) {
      log.error(w.error().message);
    }
    if (options.once) return c.exit_code;
#if defined(__GLIBC__)
    // A cycle may have held every anchor's metadata and a large status document; give those pages
    // back to the system rather than keep them resident for the hour the daemon sleeps.
    ::malloc_trim(0);
#endif
    if (!c.ok) log.info("retrying in " + std::to_string(delay) + " s");
    if (!wait_for_next_cycle(signals, delay, log, full)) return 0;
  }
}

}  // namespace agent
