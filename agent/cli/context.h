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

}  // namespace cli
