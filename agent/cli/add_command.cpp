#include <iostream>

#include "agent/certificate_file.h"
#include "agent/cli/command_options.h"
#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "trust/managed_source.h"

namespace cli {

void add_add_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string file, pick;
    PasswordOptions password;
    bool site = false;
  };
  auto opts = std::make_shared<Options>();
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
  sub->callback([&ctx, opts] {
    trust::AddOutcome added;
    auto outcome = agent::sync_store(
        ctx.store_request(),
        agent::keeping(added,
                       [&](const trust::Layout& layout,
                           trust::CertCache& cache) -> trust::Result<trust::AddOutcome> {
                         std::string target = opts->site ? layout.cainfo_ss : layout.cainfo;
                         auto pass = password_of(opts->password);
                         if (!pass) return pass.error();
                         auto ders = agent::certificates_to_import(opts->file, *pass, opts->pick);
                         if (!ders) return ders.error();
                         if (!*ders)
                           return trust::add_to_managed_source(opts->file, target, &cache);
                         return trust::add_ders_to_managed_source(**ders, target, &cache);
                       }));
    if (!outcome) {
      ctx.exit_code = fail(ctx, outcome.error());
      return;
    }
    for (const auto& s : added.skipped) {
      ctx.log.warning(s.file + (s.block ? ": block " + std::to_string(s.block) : "") + ": " +
                      s.reason);
    }
    agent::log_store_outcome(*outcome, ctx.log);
    if (ctx.json) {
      nlohmann::json j = {{"target", added.target}};
      j["added"] = nlohmann::json::array();
      for (const auto& c : added.added) j["added"].push_back(cert_json(c));
      j["already_present"] = nlohmann::json::array();
      for (const auto& c : added.already_present) j["already_present"].push_back(cert_json(c));
      j["skipped"] = nlohmann::json::array();
      for (const auto& s : added.skipped) {
        j["skipped"].push_back({{"file", s.file}, {"block", s.block}, {"reason", s.reason}});
      }
      j["merge"] = merge_json(*outcome);
      std::cout << agent::json_text(j);
    } else {
      for (const auto& c : added.added) {
        std::cout << "added to " << added.target << ": " << c.subject << "\n  sha256 " << c.sha256
                  << "\n";
      }
      for (const auto& c : added.already_present) {
        std::cout << "already in " << added.target << ": " << c.subject << "\n";
      }
      print_merge_text(*outcome);
    }
    bool clean = added.skipped.empty() && merge_exit_code(*outcome) == 0;
    ctx.exit_code = clean ? 0 : static_cast<int>(trust::Code::kBadInput);
  });
}

}  // namespace cli
