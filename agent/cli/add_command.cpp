#include <iostream>

#include "agent/anchor_edits.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"

namespace cli {
namespace {

nlohmann::json add_json(const trust::AddOutcome& added, const agent::StoreOutcome& outcome) {
  nlohmann::json j = {{"target", added.target},
                      {"added", nlohmann::json::array()},
                      {"already_present", nlohmann::json::array()},
                      {"skipped", nlohmann::json::array()},
                      {"restored", added.restored},
                      {"merge", merge_json(outcome)}};
  for (const auto& c : added.added) j["added"].push_back(cert_json(c));
  for (const auto& c : added.already_present) j["already_present"].push_back(cert_json(c));
  for (const auto& s : added.skipped) {
    j["skipped"].push_back({{"file", s.file}, {"block", s.block}, {"reason", s.reason}});
  }
  return j;
}

void print_add_text(const trust::AddOutcome& added, const agent::StoreOutcome& outcome) {
  for (const auto& c : added.added) {
    std::cout << "added to " << added.target << ": " << c.subject << "\n  sha256 " << c.sha256
              << "\n";
  }
  for (const auto& c : added.already_present) {
    std::cout << "already in " << added.target << ": " << c.subject << "\n";
  }
  print_merge_text(outcome);
}

}  // namespace

int run_add(Context& ctx, const AddOptions& opts) {
  auto password = password_of(opts.password);
  if (!password) return fail(ctx, password.error());
  agent::ImportRequest request{opts.file, *password, opts.pick, opts.site};
  trust::AddOutcome added;
  auto outcome = agent::sync_store(
      ctx.store_request(),
      agent::keeping(added, [&](const trust::Layout& layout, trust::CertCache& cache) {
        return agent::import_certificates(layout, cache, request);
      }));
  if (!outcome) return fail(ctx, outcome.error());
  for (const auto& s : added.skipped) {
    ctx.log.warning(s.file + (s.block ? ": block " + std::to_string(s.block) : "") + ": " +
                    s.reason);
  }
  for (const auto& sha : added.restored) {
    ctx.log.notice("sha256 " + sha +
                   " brought back from retired.pem for good: rollover will not "
                   "retire or prune it again (trustagent remove takes it out)");
  }
  agent::log_store_outcome(*outcome, ctx.log);
  if (ctx.json) {
    std::cout << agent::json_text(add_json(added, *outcome));
  } else {
    print_add_text(added, *outcome);
  }
  bool clean = added.skipped.empty() && merge_exit_code(*outcome) == 0;
  return clean ? 0 : static_cast<int>(trust::Code::kBadInput);
}

void add_add_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<AddOptions>();
  CLI::App* sub = app.add_subcommand(
      "add",
      "Import the certificates in FILE (PEM, DER or PKCS#7) into cainfo.pem, or cainfo-ss.pem with "
      "--site, appending only those not already there, then merge. Private keys and other blocks "
      "in FILE are skipped, never copied.");
  sub->add_option("FILE", opts->file, "Certificate file to import")->required();
  sub->add_flag("--site", opts->site, "Add to cainfo-ss.pem (site servers) instead of cainfo.pem");
  sub->add_option("--pick", opts->pick,
                  "Only one certificate of a chain (a .p7b or PEM chain, in any order): leaf, "
                  "root, or N (1 = the leaf); default: every certificate in FILE");
  add_password_options(sub, opts->password);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_add(ctx, *opts); });
}

}  // namespace cli
