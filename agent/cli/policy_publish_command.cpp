// `policy publish DIR`: the central server's side. A pinned policy is checked against the live
// server it names before endpoints can get it.
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/index_publisher.h"
#include "agent/json_text.h"
#include "agent/publish_check.h"
#include "policy/index.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

nlohmann::json publish_json(const std::vector<policy::IndexEntry>& entries,
                            const agent::PublishedIndex& written) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : entries) {
    j.push_back(
        {{"guid", e.guid}, {"revision", e.revision}, {"sha256", e.sha256}, {"href", e.href}});
  }
  nlohmann::json out{{"index", written.index_path}, {"policies", j}, {"signed", nullptr}};
  if (const auto& terms = written.signed_terms) {
    out["signed"] = {
        {"signature", written.signature_path},
        {"serial", terms->serial},
        {"expires", trust::to_iso8601(terms->expires)},
        {"signer", {{"subject", terms->signer_subject}, {"sha256", terms->signer_sha256}}},
        {"next_signers", written.next_signers}};
  }
  return out;
}

void print_publish_text(const std::vector<policy::IndexEntry>& entries,
                        const agent::PublishedIndex& written) {
  std::cout << "wrote " << written.index_path << ": " << entries.size() << " policies\n";
  if (const auto& terms = written.signed_terms) {
    std::cout << "signed " << written.signature_path << ": serial " << terms->serial << ", expires "
              << trust::to_iso8601(terms->expires) << ", signer "
              << trust::printable_text(terms->signer_subject) << " sha256 " << terms->signer_sha256
              << "\n";
    if (written.next_signers) {
      std::cout << "introduces " << written.next_signers
                << " policy signer(s): endpoints replace theirs when they accept it\n";
    }
  }
  for (const auto& e : entries) {
    std::cout << "  " << e.guid << "  revision " << e.revision << "  " << e.href << "\n";
  }
}

}  // namespace

int run_policy_publish(Context& ctx, const PolicyPublishOptions& opts) {
  std::vector<policy::Policy> policies;
  auto entries = policy::index_for_directory(opts.dir, &policies);
  if (!entries) return fail(ctx, entries.error());
  auto checks =
      agent::check_policy_pins(policies, ctx.server, trust::Layout::at(ctx.home), opts.timeout);
  if (!agent::publishing_allowed(checks, opts.force, ctx.log)) {
    return fail(ctx, trust::make_error(trust::Code::kRefused,
                                       "index not written: publishing would lock endpoints out "
                                       "(fix the pins, or --force)"));
  }
  auto sign = signing_from(opts.signing);
  if (!sign) return fail(ctx, sign.error());
  auto written = agent::write_policy_index(opts.dir, *entries, *sign, ctx.clock->now(), opts.force);
  if (!written) return fail(ctx, written.error());
  if (written->completed_interrupted) {
    ctx.log.notice(opts.dir +
                   ": completed the publish that was interrupted there (its index and signature "
                   "did not match) before this one");
  }
  if (written->stale_signature_removed) {
    ctx.log.notice("removed " + written->index_path +
                   ".sig: it signed an older index (endpoints with policy signers refuse an "
                   "unsigned index)");
  }
  if (ctx.json) {
    std::cout << agent::json_text(publish_json(*entries, *written));
  } else {
    print_publish_text(*entries, *written);
  }
  return 0;
}

void add_policy_publish_command(CLI::App& group, Context& ctx) {
  auto opts = std::make_shared<PolicyPublishOptions>();
  CLI::App* publish = group.add_subcommand(
      "publish", "Write DIR/index.xml for the policy files in DIR (the central server's side).");
  publish->add_option("DIR", opts->dir, "Folder of policy files, served as <base>/policies/")
      ->required();
  publish->add_flag("--force", opts->force,
                    "Publish even when a policy's pins match nothing its server presents, or "
                    "could not be checked; or unsigned into a folder that was signed");
  publish->add_option("--timeout", opts->timeout, "Seconds per pin check (default 30)")
      ->check(CLI::PositiveNumber);
  add_signing_options(publish, opts->signing, true);
  publish->footer(kExitCodes);
  publish->callback([&ctx, opts] { ctx.exit_code = run_policy_publish(ctx, *opts); });
}

}  // namespace cli
