// `policy trust-signer` and `policy signers`: who may sign the policy index on this endpoint.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/cli/policy_output.h"
#include "agent/json_text.h"
#include "agent/policy_signers.h"
#include "trust/safe_text.h"

namespace cli {

int run_policy_trust_signer(Context& ctx, const std::string& file, const std::string& fingerprint) {
  trust::CertInfo added;
  auto synced =
      agent::sync_store(ctx.store_request(), agent::keeping(added, [&](const trust::Layout& l) {
                          return agent::trust_policy_signer(l, ctx.clock->now(), file, fingerprint);
                        }));
  if (!synced) return fail(ctx, synced.error());
  if (ctx.json) {
    std::cout << agent::json_text(nlohmann::json{{"trusted", signer_json(added)}});
  } else {
    std::cout << "policy signer: " << trust::printable_text(added.subject) << " sha256 "
              << added.sha256 << " (" << trust::Layout::at(ctx.home).policy_signers << ")\n";
  }
  return 0;
}

int run_policy_signers(Context& ctx, const std::string& remove_fingerprint) {
  if (!remove_fingerprint.empty()) {
    trust::CertInfo gone;
    auto synced =
        agent::sync_store(ctx.store_request(), agent::keeping(gone, [&](const trust::Layout& l) {
                            return agent::untrust_policy_signer(l, remove_fingerprint);
                          }));
    if (!synced) return fail(ctx, synced.error());
    ctx.log.notice("removed policy signer " + gone.sha256);
  }
  auto loaded = agent::load_policy_signers(trust::Layout::at(ctx.home));
  if (!loaded) return fail(ctx, loaded.error());
  if (!*loaded) {
    ctx.log.alarm(
        "no policy signers: policies are authorised by the central server's TLS certificate "
        "alone (legacy mode)");
  }
  nlohmann::json list = nlohmann::json::array();
  if (*loaded) {
    for (const auto& c : **loaded) list.push_back(signer_json(c.info()));
  }
  if (ctx.json) {
    std::cout << agent::json_text(nlohmann::json{{"signers", list}});
    return 0;
  }
  for (const auto& c : list) {
    std::cout << c["sha256"].get<std::string>() << "  until " << c["not_after"].get<std::string>()
              << "  " << trust::printable_text(c["subject"].get<std::string>()) << "\n";
  }
  return 0;
}

void add_policy_signer_commands(CLI::App& group, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto fingerprint = std::make_shared<std::string>();
  CLI::App* trust_signer = group.add_subcommand(
      "trust-signer",
      "Trust FILE's certificate to sign the policy index, after matching its SHA-256 fingerprint "
      "(read it from the publisher out of band). From then on every index must be signed.");
  trust_signer->add_option("FILE", *file, "The signer's certificate (PEM or DER)")->required();
  trust_signer->add_option("--fingerprint", *fingerprint, "Its SHA-256 fingerprint")->required();
  trust_signer->footer(kExitCodes);
  trust_signer->callback([&ctx, file, fingerprint] {
    ctx.exit_code = run_policy_trust_signer(ctx, *file, *fingerprint);
  });

  auto remove_fp = std::make_shared<std::string>();
  CLI::App* signers = group.add_subcommand(
      "signers",
      "List the policy signers; --remove FP removes one (removing the last one "
      "returns the endpoint to unsigned, TLS-only policy).");
  signers->add_option("--remove", *remove_fp, "SHA-256 fingerprint of the signer to remove");
  signers->footer(kExitCodes);
  signers->callback([&ctx, remove_fp] { ctx.exit_code = run_policy_signers(ctx, *remove_fp); });
}

}  // namespace cli
