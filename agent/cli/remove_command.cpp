#include <iostream>

#include "agent/anchor_edits.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"

namespace cli {

int run_remove(Context& ctx, const RemoveOptions& opts) {
  auto fp = trust::parse_fingerprint(opts.fingerprint);
  if (!fp) return fail(ctx, fp.error());
  trust::RemoveOutcome removed;
  auto outcome = agent::sync_store(ctx.store_request(),
                                   agent::keeping(removed, [&](const trust::Layout& layout) {
                                     return agent::remove_anchor(layout, *fp);
                                   }));
  if (!outcome) return fail(ctx, outcome.error());
  agent::log_store_outcome(*outcome, ctx.log);
  if (ctx.json) {
    nlohmann::json j = {{"removed", cert_json(removed.removed)},
                        {"files", removed.files},
                        {"merge", merge_json(*outcome)}};
    std::cout << agent::json_text(j);
  } else {
    std::cout << "removed " << removed.removed.subject << " (" << removed.removed.sha256
              << ") from";
    for (const auto& f : removed.files) std::cout << " " << f;
    std::cout << "\n";
    print_merge_text(*outcome);
  }
  return merge_exit_code(*outcome);
}

void add_remove_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RemoveOptions>();
  CLI::App* sub = app.add_subcommand(
      "remove",
      "Take the certificate with this SHA-256 (or SHA-1) fingerprint out of the agent-managed "
      "sources, then merge. Any spelling: colons or not, any case, optional sha256: prefix. "
      "Admin-owned CA files are never edited.");
  sub->add_option("FINGERPRINT", opts->fingerprint, "Fingerprint of the certificate")->required();
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_remove(ctx, *opts); });
}

}  // namespace cli
