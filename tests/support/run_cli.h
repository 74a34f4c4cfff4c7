// Runs the real trustagent binary, as a user would, and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace testing_support {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

// `env` entries ("NAME=value") are added to the environment; `prefix` (e.g. a setpriv command)
// runs before the binary.
CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  const std::string& prefix = "");

std::string trustagent_binary();

// A `prefix` for run_cli that runs the binary with its wall clock moved by `offset` (libfaketime,
// e.g. "+8d"), while the time since boot runs on unchanged, as when a clock is set for real.
std::string wall_clock_moved(const std::string& offset);

}  // namespace testing_support
