#include <iostream>

#include "agent/cli/command_options.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "trust/lint.h"
#include "trust/lint_input.h"
#include "trust/source_reader.h"

namespace cli {

int run_lint(Context& ctx, const LintOptions& opts) {
  auto password = password_of(opts.password);
  if (!password) {
    return fail(ctx, password.error());
  }
  auto certs = trust::read_certificate_container(opts.file, *password);
  if (!certs) {
    return fail(ctx, certs.error());
  }
  auto chain = trust::order_chain(std::move(*certs));
  auto profile = *trust::parse_lint_profile(opts.profile);
  auto findings = trust::lint_chain(chain, profile, opts.address, ctx.clock->now());
  if (ctx.json) {
    nlohmann::json j = {{"file", opts.file},
                        {"profile", opts.profile},
                        {"chain", nlohmann::json::array()},
                        {"findings", nlohmann::json::array()}};
    for (const auto& c : chain) j["chain"].push_back(cert_json(c.info()));
    for (const auto& f : findings) {
      j["findings"].push_back(
          {{"code", f.code}, {"certificate", f.certificate}, {"message", f.message}});
    }
    std::cout << agent::json_text(j);
  } else {
    for (const auto& f : findings) std::cout << f.code << ": " << f.message << "\n";
    std::cout << opts.file << ": " << chain.size() << " certificate(s) in the chain, "
              << findings.size() << " finding(s) for profile " << opts.profile << "\n";
  }
  return findings.empty() ? 0 : static_cast<int>(trust::Code::kRefused);
}

void add_lint_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<LintOptions>();
  CLI::App* sub = app.add_subcommand(
      "lint",
      "Check a certificate, PEM chain or PKCS#12 file against the requirements of a certificate "
      "profile: key sizes, basic constraints, key usage, EKU (optional, complete when present), "
      "SAN and --address, validity <= 397 days, SHA-2 signatures, a chain complete to a "
      "self-signed root. One finding per line with a stable code. Exit 0 clean, 1 findings, 2 "
      "unreadable file or wrong password.");
  sub->add_option("FILE", opts->file, "Certificate file (PEM/DER/PKCS#7 or PKCS#12)")->required();
  sub->add_option("--profile", opts->profile,
                  "common (C/CR), mobile (M/MR), mca (CA for user certificates), webserver, mdm")
      ->required()
      ->check(CLI::IsMember({"common", "mobile", "mca", "webserver", "mdm"}));
  add_password_options(sub, opts->password);
  sub->add_option("--address", opts->address,
                  "The address clients use: the subjectAltName must match it");
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_lint(ctx, *opts); });
}

}  // namespace cli
