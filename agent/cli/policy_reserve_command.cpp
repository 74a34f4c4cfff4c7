// `policy reserve FILE DIR`: the central server's side of publishing a reserve certificate.
#include <iostream>

#include "agent/cli/command_options.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/reserve_policy.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {

namespace {

trust::Result<agent::ReservePolicyRequest> reserve_policy_request(const Context& ctx,
                                                                  const PolicyReserveOptions& o) {
  agent::ReservePolicyRequest request;
  request.cert_file = o.file;
  request.dir = o.dir;
  request.guid = o.guid;
  request.force_unsigned = o.force;
  request.force = o.force;
  request.review_layout = trust::Layout::at(ctx.home);
  request.now = ctx.clock->now();
  auto activation = activation_of(o.activation, request.now);
  if (!activation) return activation.error();
  request.activate_at = *activation;
  for (const auto& text : o.replaces) {
    auto fp = trust::parse_fingerprint(text);
    if (!fp) return fp.error();
    request.replaces.push_back(*fp);
  }
  auto signing = signing_from(o.signing);
  if (!signing) return signing.error();
  request.signing = *signing;
  return request;
}

}  // namespace

int run_policy_reserve(Context& ctx, const PolicyReserveOptions& o) {
  auto request = reserve_policy_request(ctx, o);
  if (!request) return fail(ctx, request.error());
  auto report = agent::publish_reserve_policy(*request);
  if (!report) return fail(ctx, report.error());
  for (const auto& f : report->forced) {
    ctx.log.alarm("--force: " + o.file + ": " + f.code + ": " + f.message +
                  " (published anyway: every endpoint installs it)");
  }
  for (const auto& n : report->notes) ctx.log.notice(o.file + ": " + n);
  std::string activates = request->activate_at ? trust::to_iso8601(*request->activate_at)
                                               : "when what it replaces expires";
  if (ctx.json) {
    std::cout << agent::json_text(nlohmann::json{
        {"policy", report->policy_path},
        {"guid", report->guid},
        {"revision", report->revision},
        {"reserve", {{"subject", report->cert.subject}, {"sha256", report->cert.sha256}}},
        {"activates", activates},
        {"index", report->index.index_path},
        {"signed", report->index.signed_terms.has_value()}});
    return 0;
  }
  std::cout << "wrote " << report->policy_path << " (revision " << report->revision << "): reserve "
            << trust::printable_text(report->cert.subject) << " sha256 " << report->cert.sha256
            << ", activates " << activates << "\n"
            << "republished " << report->index.index_path
            << (report->index.signed_terms ? " (signed)" : "") << "\n";
  return 0;
}

void add_policy_reserve_command(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<PolicyReserveOptions>();
  CLI::App* sub = group.add_subcommand(
      "reserve",
      "Publish FILE's certificate as a <ReserveCertificate>: write or update the policy in DIR "
      "(reserve-<sha256 prefix>.xml, or --guid), bump its revision and republish DIR's index. "
      "The legacy klsetsrvcert -t CR -i FILE.");
  sub->add_option("FILE", o->file, "The server's next certificate (PEM, DER or PKCS#7)")
      ->required();
  sub->add_option("DIR", o->dir, "The folder of policy files served as <base>/policies/")
      ->required();
  sub->add_option("--guid", o->guid, "The policy to write or update");
  add_activation_options(sub, o->activation);
  sub->add_option("--replaces", o->replaces,
                  "Fingerprint of the certificate it takes over from (repeatable); default: the "
                  "same subject or the same DNS/IP names")
      ->allow_extra_args(false);
  sub->add_flag("--force", o->force,
                "Publish despite the review's findings (each logged as a WARNING), or unsigned "
                "into a signed folder");
  add_signing_options(sub, o->signing, false);
  sub->footer(kExitCodes);
  sub->callback([&ctx, o] { ctx.exit_code = run_policy_reserve(ctx, *o); });
}

}  // namespace cli
