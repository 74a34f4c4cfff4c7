#include "agent/cli/commands.h"
#include "agent/daemon.h"

namespace cli {

int run_run(Context& ctx, const RunOptions& opts) {
  agent::DaemonOptions options;
  options.store = ctx.store_request();
  options.server = ctx.server;
  options.mirrors = ctx.mirrors;
  options.timeout_seconds = opts.timeout;
  options.once = opts.once;
  options.syslog = opts.log == "syslog";
  return agent::run_daemon(options);
}

void add_run_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand(
      "run",
      "The daemon: refresh policies from the central server every IntervalSeconds plus up to "
      "JitterSeconds (from the policy in force), apply them, and write var/state/status.json after "
      "every cycle. A failed cycle retries with backoff (10 s doubling, at most the interval). "
      "The index is fetched whole at start, on SIGHUP and daily, conditionally otherwise. SIGHUP "
      "refreshes now; SIGTERM or SIGINT stops. One daemon per home (exit 4 otherwise).");
  sub->add_flag("--once", opts->once, "Run one cycle and exit with its status");
  sub->add_option("--log", opts->log, "Where logs go: stderr (one event per line) or syslog")
      ->check(CLI::IsMember({"stderr", "syslog"}));
  sub->add_option("--timeout", opts->timeout, "Seconds per request to the central server")
      ->check(CLI::PositiveNumber);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_run(ctx, *opts); });
}

}  // namespace cli
