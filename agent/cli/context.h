// What every subcommand shares: the global options (accepted before or after the subcommand's
// name) and the exit code the chosen subcommand sets.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "agent/log.h"
#include "agent/store_sync.h"

namespace cli {

struct Context {
  std::string home;
  bool json = false;
  std::vector<std::string> ca_files;
  double lock_timeout = 10;
  std::string server;  // host[:port] of the agent's server, from the config or --server
  std::vector<std::string> mirrors;  // more central servers with the same policies (--mirror)
  std::optional<bool> capath;        // etc/capath: --capath / --no-capath, or capath = true / false
  int exit_code = 0;
  const trust::Clock* clock = &trust::system_clock();  // the one place commands read the time
  agent::Log log = agent::Log::command_line();         // everything said beside the output

  agent::StoreRequest store_request() const {
    agent::StoreRequest r;
    r.home = home;
    r.ca_files = ca_files;
    r.lock_timeout_seconds = lock_timeout;
    r.hashed_directory = capath;
    r.clock = clock;
    return r;
  }
};

// Shown at the end of every command's --help.
inline constexpr const char* kExitCodes =
    "Common options (before or after the command): --home DIR, --json, --ca-file PATH "
    "(repeatable),\n"
    "--lock-timeout SECONDS, --server HOST[:PORT], --mirror URL (repeatable), --capath, --config "
    "FILE.\n"
    "Exit codes: 0 success; 1 refused or verification failed; 2 usage error or bad input (the "
    "good\n"
    "parts were still merged); 3 network error; 4 another writer holds the lock.";

void add_merge_command(CLI::App& app, Context& ctx);
void add_list_command(CLI::App& app, Context& ctx);
void add_add_command(CLI::App& app, Context& ctx);
void add_remove_command(CLI::App& app, Context& ctx);
void add_connect_command(CLI::App& app, Context& ctx);
void add_fetch_command(CLI::App& app, Context& ctx);
void add_policy_command(CLI::App& app, Context& ctx);
void add_policy_reserve_command(CLI::App& policy_group, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);
void add_readiness_command(CLI::App& app, Context& ctx);
void add_acknowledge_command(CLI::App& app, Context& ctx);
void add_reserve_command(CLI::App& app, Context& ctx);
void add_status_command(CLI::App& app, Context& ctx);
void add_move_command(CLI::App& app, Context& ctx);
void add_lint_command(CLI::App& app, Context& ctx);

}  // namespace cli
