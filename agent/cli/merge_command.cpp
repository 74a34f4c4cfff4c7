#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"

namespace cli {

int run_merge(Context& ctx, const MergeOptions& opts) {
  agent::StoreRequest request = ctx.store_request();
  request.merge.force = opts.force;
  request.merge.allow_empty = opts.allow_empty;
  auto outcome = agent::sync_store(request);
  if (!outcome) return fail(ctx, outcome.error());
  agent::log_store_outcome(*outcome, ctx.log);
  if (ctx.json) {
    std::cout << agent::json_text(merge_json(*outcome));
  } else {
    print_merge_text(*outcome);
  }
  return merge_exit_code(*outcome);
}

void add_merge_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<MergeOptions>();
  CLI::App* sub = app.add_subcommand(
      "merge",
      "Regenerate etc/cainfo-merged.pem from the sources if any changed (a stat per source when "
      "nothing did). Sources, in order: cainfo.pem, cainfo-ss.pem, cainfo-reserve.pem, then each "
      "--ca-file.");
  sub->add_flag("--force", opts->force, "Regenerate even if nothing changed");
  sub->add_flag("--allow-empty", opts->allow_empty,
                "Publish an empty store even though the current one has anchors")
      ->configurable(false);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_merge(ctx, *opts); });
}

}  // namespace cli
