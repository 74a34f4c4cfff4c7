#include <algorithm>
#include <iostream>

#include "agent/anchor_edits.h"
#include "agent/cli/command_options.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "trust/rollover.h"
#include "trust/time_format.h"

namespace cli {
namespace {

nlohmann::json reserve_json(const trust::Reserve& r, int64_t now) {
  auto when = [](int64_t t) {
    return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(trust::to_iso8601(t));
  };
  return {{"sha256", r.sha256},
          {"activate_at", trust::to_iso8601(r.activate_at)},
          {"status", r.pending(now) ? "pending" : "active"},
          {"origin", r.origin.text()},
          {"replaces", r.replaces},
          {"arrived_at", when(r.arrived_at)},
          {"seen_in_use_at", when(r.seen_at)},
          {"replaced_retired_at", when(r.retired_at)}};
}

trust::Result<agent::ReserveFileRequest> reserve_file_request(const Context& ctx,
                                                              const ReserveAddOptions& opts) {
  agent::ReserveFileRequest request;
  request.file = opts.file;
  request.force = opts.force;
  request.now = ctx.clock->now();
  for (const auto& text : opts.replaces) {
    auto fp = trust::parse_fingerprint(text);
    if (!fp) {
      return trust::make_error(trust::Code::kBadInput,
                               "--replaces '" + text + "': " + fp.error().message);
    }
    request.replaces.push_back(*fp);
  }
  auto activation = activation_of(opts.activation, request.now);
  if (!activation) return activation.error();
  request.activate_at = *activation;
  auto password = password_of(opts.password);
  if (!password) return password.error();
  request.password = *password;
  return request;
}

void print_reserves_added(const trust::ReserveAdded& added) {
  for (const auto& r : added.reserves) {
    std::cout << "reserve sha256 " << r.sha256 << "\n  trusted now; activates "
              << trust::to_iso8601(r.activate_at) << "; replaces "
              << std::count_if(r.replaces.begin(), r.replaces.end(),
                               [](const std::string& p) { return p.rfind("sha256:", 0) == 0; })
              << " current certificate(s)\n";
  }
}

void add_reserve_add(CLI::App& reserve, Context& ctx) {
  auto opts = std::make_shared<ReserveAddOptions>();
  CLI::App* sub = reserve.add_subcommand(
      "add",
      "Add the certificate(s) in FILE to cainfo-reserve.pem: trusted at once, so the server may "
      "switch to them any time; they become the current certificates at the activation time.");
  sub->add_option("FILE", opts->file, "Certificate file (PEM, DER or PKCS#7)")->required();
  add_activation_options(sub, opts->activation);
  sub->add_option("--replaces", opts->replaces,
                  "Fingerprint of the certificate this reserve takes over from (repeatable); "
                  "default: the certificates of the same subject or the same DNS/IP names")
      ->allow_extra_args(false);
  add_password_options(sub, opts->password);
  sub->add_flag("--force", opts->force,
                "Add it even when it does not meet the common certificate requirements "
                "(trustagent lint --profile common)");
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_reserve_add(ctx, *opts); });
}

void add_reserve_list(CLI::App& reserve, Context& ctx) {
  CLI::App* sub = reserve.add_subcommand(
      "list", "List the reserve certificates: activation time, pending or active, and origin.");
  sub->footer(kExitCodes);
  sub->callback([&ctx] { ctx.exit_code = run_reserve_list(ctx); });
}

void add_reserve_remove(CLI::App& reserve, Context& ctx) {
  auto fingerprint = std::make_shared<std::string>();
  CLI::App* sub = reserve.add_subcommand(
      "remove", "Take a reserve certificate out of cainfo-reserve.pem and forget it.");
  sub->add_option("FINGERPRINT", *fingerprint, "SHA-256 or SHA-1 fingerprint, any spelling")
      ->required();
  sub->footer(kExitCodes);
  sub->callback([&ctx, fingerprint] { ctx.exit_code = run_reserve_remove(ctx, *fingerprint); });
}

}  // namespace

int run_reserve_add(Context& ctx, const ReserveAddOptions& opts) {
  auto request = reserve_file_request(ctx, opts);
  if (!request) return fail(ctx, request.error());
  trust::ReserveAdded added;
  auto outcome =
      agent::sync_store(ctx.store_request(), agent::keeping(added, [&](const trust::Layout& l) {
                          return agent::add_reserve_file(l, *request, ctx.log);
                        }));
  if (!outcome) return fail(ctx, outcome.error());
  agent::log_store_outcome(*outcome, ctx.log);
  if (ctx.json) {
    nlohmann::json j = {{"added", nlohmann::json::array()},
                        {"reserves", nlohmann::json::array()},
                        {"merge", merge_json(*outcome)}};
    for (const auto& c : added.added) j["added"].push_back(cert_json(c));
    for (const auto& r : added.reserves) j["reserves"].push_back(reserve_json(r, outcome->now));
    std::cout << agent::json_text(j);
  } else {
    print_reserves_added(added);
    print_merge_text(*outcome);
  }
  return merge_exit_code(*outcome);
}

int run_reserve_list(Context& ctx) {
  auto synced = bring_store_up_to_date(ctx);
  if (!synced) return ctx.exit_code;
  const auto& reserves = synced->rollover.reserves;
  if (ctx.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : reserves) j.push_back(reserve_json(r, synced->now));
    std::cout << agent::json_text(nlohmann::json{{"reserves", j}});
    return 0;
  }
  if (reserves.empty()) std::cout << "no reserve certificates\n";
  for (const auto& r : reserves) {
    std::cout << r.sha256 << "  " << (r.pending(synced->now) ? "pending" : "active ")
              << "  activates " << trust::to_iso8601(r.activate_at) << "  from " << r.origin.text()
              << "\n";
  }
  return 0;
}

int run_reserve_remove(Context& ctx, const std::string& fingerprint) {
  auto fp = trust::parse_fingerprint(fingerprint);
  if (!fp) return fail(ctx, fp.error());
  trust::CertInfo removed;
  auto outcome = agent::sync_store(ctx.store_request(),
                                   agent::keeping(removed, [&](const trust::Layout& layout) {
                                     return trust::remove_reserve(layout, *fp);
                                   }));
  if (!outcome) return fail(ctx, outcome.error());
  agent::log_store_outcome(*outcome, ctx.log);
  if (ctx.json) {
    std::cout << agent::json_text(
        {{"removed", cert_json(removed)}, {"merge", merge_json(*outcome)}});
  } else {
    std::cout << "removed reserve " << removed.subject << "\n  sha256 " << removed.sha256 << "\n";
    print_merge_text(*outcome);
  }
  return merge_exit_code(*outcome);
}

void add_reserve_command(CLI::App& app, Context& ctx) {
  CLI::App* reserve = app.add_subcommand(
      "reserve",
      "Reserve certificates: the certificate a server will switch to, trusted ahead of time.");
  reserve->require_subcommand(1);
  reserve->footer(kExitCodes);
  add_reserve_add(*reserve, ctx);
  add_reserve_list(*reserve, ctx);
  add_reserve_remove(*reserve, ctx);
}

}  // namespace cli
