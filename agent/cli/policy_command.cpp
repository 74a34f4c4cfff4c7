// `policy`: the group, and `show`, `refresh` and `remove`; publish, signers and reserve are in
// their own files.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/cli/policy_output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "agent/policy_removal.h"
#include "agent/refresh.h"

namespace cli {

int run_policy_show(Context& ctx) {
  auto synced = bring_store_up_to_date(ctx);
  if (!synced) return ctx.exit_code;
  if (ctx.json) {
    nlohmann::json j = effective_json(synced->effective);
    j["refused"] = nlohmann::json::array();
    for (const auto& e : synced->policy_errors) j["refused"].push_back(e.message);
    std::cout << agent::json_text(j);
  } else {
    print_effective(synced->effective);
  }
  return synced->policy_errors.empty() ? 0 : 2;
}

int run_policy_refresh(Context& ctx, const PolicyRefreshOptions& opts) {
  agent::RefreshRequest request;
  request.store = ctx.store_request();
  request.server = ctx.server;
  request.mirrors = ctx.mirrors;
  request.timeout_seconds = opts.timeout;
  request.full = opts.full;
  auto report = agent::refresh_policies(request);
  if (!report) return fail(ctx, report.error());
  agent::log_refresh_report(*report, ctx.log);
  agent::log_store_outcome(report->applied, ctx.log);
  if (ctx.json) {
    std::cout << agent::json_text(refresh_json(*report));
  } else {
    print_refresh_text(*report);
  }
  bool clean = report->refused.empty() && merge_exit_code(report->applied) == 0;
  return clean ? 0 : 2;
}

namespace {

void log_policy_removed(const Context& ctx, const agent::PolicyRemoved& removed,
                        const agent::StoreOutcome& synced) {
  const agent::HeldBackPolicy& hold = removed.hold;
  for (const auto& sha : removed.withdrawn_reserves) {
    ctx.log.notice("reserve sha256 " + sha + " published by policy " + hold.guid +
                   " withdrawn with it");
  }
  for (const auto& sha : removed.kept_reserves) {
    ctx.log.notice("reserve sha256 " + sha + " published by policy " + hold.guid +
                   " kept: a server was seen presenting it (trustagent reserve remove " + sha +
                   " takes it out)");
  }
  if (ctx.server.empty() && synced.effective.server_url.value.empty()) {
    ctx.log.warning(
        "no central server is known now (no 'server' in trustagent.conf, no policy <Server>): a "
        "corrected policy cannot arrive; set 'server = HOST:PORT' in trustagent.conf");
  }
}

}  // namespace

int run_policy_remove(Context& ctx, const std::string& guid) {
  agent::PolicyRemoved removed;
  agent::StoreRequest request = ctx.store_request();
  request.also_undo = agent::files_policy_removal_edits(trust::Layout::at(ctx.home), guid);
  auto synced = agent::sync_store(request, agent::keeping(removed, [&](const trust::Layout& l) {
                                    return agent::remove_policy_locally(l, guid);
                                  }));
  if (!synced) return fail(ctx, synced.error());
  agent::log_store_outcome(*synced, ctx.log);
  log_policy_removed(ctx, removed, *synced);
  const agent::HeldBackPolicy& hold = removed.hold;
  if (ctx.json) {
    std::cout << agent::json_text(nlohmann::json{{"removed", hold.guid},
                                                 {"held_back_through_revision", hold.revision},
                                                 {"withdrawn_reserves", removed.withdrawn_reserves},
                                                 {"merge", merge_json(*synced)}});
  } else {
    std::cout << "removed policy " << hold.guid << " (revision " << hold.revision
              << "); refreshes hold it back until a revision above " << hold.revision
              << " is published\n";
    print_merge_text(*synced);
  }
  return merge_exit_code(*synced);
}

void add_policy_command(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("policy",
                                       "Policies: show the one in force, refresh them "
                                       "from the central server, publish a folder.");
  group->require_subcommand(1);
  group->fallthrough();
  group->footer(kExitCodes);

  CLI::App* show =
      group->add_subcommand("show", "The effective settings, and which policy each came from.");
  show->footer(kExitCodes);
  show->callback([&ctx] { ctx.exit_code = run_policy_show(ctx); });

  auto refresh_opts = std::make_shared<PolicyRefreshOptions>();
  CLI::App* refresh = group->add_subcommand(
      "refresh",
      "Fetch <server>/policies/index.xml (conditional GET), download the policies that changed, "
      "check and store them, and apply them (merge included) in this same refresh. The server is "
      "--server, else 'server' in the config, else the policy's <Server>.");
  refresh->add_option("--timeout", refresh_opts->timeout, "Seconds per request (default 30)")
      ->check(CLI::PositiveNumber);
  refresh->add_flag("--full", refresh_opts->full,
                    "Fetch the whole index even if the server would answer 304: for a policy "
                    "republished within the same second at the same size, which servers whose "
                    "ETag is mtime and size (nginx) cannot tell apart");
  refresh->footer(kExitCodes);
  refresh->callback(
      [&ctx, refresh_opts] { ctx.exit_code = run_policy_refresh(ctx, *refresh_opts); });

  add_policy_publish_command(*group, ctx);
  add_policy_signer_commands(*group, ctx);
  add_policy_reserve_command(*group, ctx);

  auto guid = std::make_shared<std::string>();
  CLI::App* remove = group->add_subcommand(
      "remove",
      "Remove policy GUID from this endpoint and apply the rest at once: the way out of a bad "
      "policy. Refreshes hold the same policy back until the central server publishes a higher "
      "revision.");
  remove->add_option("GUID", *guid, "The policy's guid (trustagent policy show lists them)")
      ->required();
  remove->footer(kExitCodes);
  remove->callback([&ctx, guid] { ctx.exit_code = run_policy_remove(ctx, *guid); });
}

}  // namespace cli
