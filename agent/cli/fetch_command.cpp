#include <unistd.h>

#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/connect_request.h"
#include "agent/fetch.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "trust/managed_source.h"

namespace cli {
namespace {

// On a terminal, a person decides; the prompt goes to stderr so --json output stays clean.
bool ask_person(const trust::CertInfo& cert) {
  std::cerr << "\nTrust " << cert.subject << "\n  sha256 " << cert.sha256 << "\n  sha1   "
            << cert.sha1 << "\nCompare the fingerprint with the server's through another channel.\n"
            << "Trust this certificate? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

struct Fetched {
  std::vector<agent::PresentedCert> chain;
  size_t picked = 0;
  const agent::PresentedCert& cert() const { return chain[picked]; }
};

// The first install: the legacy agent fetched its server's certificate without being told where
// the server was. Trusting it still needs a fingerprint, a pin or a person.
trust::Result<Fetched> fetch_and_pick(const Context& ctx, const FetchOptions& opts,
                                      const policy::Effective& policy) {
  std::string target = !opts.target.empty()  ? opts.target
                       : !ctx.server.empty() ? ctx.server
                                             : policy.server_url.value;
  if (target.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "fetch needs HOST: no server is configured ('server = HOST:PORT' in "
                             "trustagent.conf)");
  }
  auto chain = agent::fetch_chain(target, opts.timeout);
  if (!chain) return chain.error();
  auto picked = agent::pick_certificate(*chain, opts.pick);
  if (!picked) return picked.error();
  return Fetched{std::move(*chain), *picked};
}

// The pins connect would apply decide too: a leaf the policy pins needs no other fingerprint,
// and a leaf it does not pin is exactly what trust on first use must not take silently.
agent::TrustInputs trust_inputs(const Context& ctx, const FetchOptions& opts,
                                const policy::Effective& policy, const Fetched& f,
                                std::optional<trust::Fingerprint> expected) {
  auto own_pins = agent::own_server_pins(policy, ctx.server, opts.target, ctx.log);
  agent::PinVerdict verdict = agent::check_pins(own_pins, f.chain.front());
  std::string pinned_by = "policy " + policy.pins.from;
  if (verdict == agent::PinVerdict::kMismatch) {
    std::string listed;
    for (const auto& pin : own_pins) listed += (listed.empty() ? "" : "; ") + pin.text();
    ctx.log.alarm("the server's certificate matches no pin of " + pinned_by + " (" + listed +
                  "): connect will refuse it with pin_mismatch");
  }
  return {expected, verdict, pinned_by, opts.tofu, ::isatty(STDIN_FILENO) == 1};
}

const char* verdict_name(agent::PinVerdict v) {
  return v == agent::PinVerdict::kNoPins    ? "none"
         : v == agent::PinVerdict::kMatches ? "matches"
                                            : "mismatch";
}

// Whether to store: false after saying why not (the exit code is then kRefused).
bool trusted(const Context& ctx, const FetchOptions& opts, const agent::TrustInputs& in,
             const Fetched& f, std::string& refusal) {
  agent::TrustDecision decision = agent::decide_trust(in, f.cert(), f.picked + 1, f.chain.front());
  using Basis = agent::TrustDecision::Basis;
  if (decision.basis == Basis::kRefused) {
    refusal = decision.message;
    return false;
  }
  if (decision.basis == Basis::kAskPerson && !opts.yes && !ask_person(f.cert().info)) {
    refusal = "not trusted";
    return false;
  }
  if (decision.basis == Basis::kFirstUse) {
    ctx.log.alarm(decision.message);
  } else if (!decision.message.empty()) {
    ctx.log.notice(decision.message);
  }
  return true;
}

}  // namespace

int run_fetch(Context& ctx, const FetchOptions& opts) {
  std::optional<trust::Fingerprint> expected;
  if (!opts.fingerprint.empty()) {
    auto fp = trust::parse_fingerprint(opts.fingerprint);
    if (!fp) return fail(ctx, fp.error());
    expected = *fp;
  }
  auto synced = bring_store_up_to_date(ctx);
  if (!synced) return ctx.exit_code;
  auto fetched = fetch_and_pick(ctx, opts, synced->effective);
  if (!fetched) return fail(ctx, fetched.error());
  const trust::CertInfo& cert = fetched->cert().info;
  print_chain(ctx.json ? std::cerr : std::cout, fetched->chain);
  trust::Layout layout = trust::Layout::at(ctx.home);
  std::string target_file = opts.site ? layout.cainfo_ss : layout.cainfo;
  nlohmann::json result = {{"stored", false},
                           {"file", target_file},
                           {"sha256", cert.sha256},
                           {"subject", cert.subject},
                           {"chain", chain_json(fetched->chain)}};
  agent::TrustInputs in = trust_inputs(ctx, opts, synced->effective, *fetched, expected);
  result["policy_pin"] = verdict_name(in.pins);
  if (std::string refusal; !trusted(ctx, opts, in, *fetched, refusal)) {
    if (ctx.json) {
      result["error"] = {{"code", "refused"}, {"message", refusal}};
      std::cout << agent::json_text(result);
    }
    ctx.log.error(refusal + "; nothing was written");
    return static_cast<int>(trust::Code::kRefused);
  }
  trust::AddOutcome added;
  auto stored = agent::sync_store(
      ctx.store_request(), agent::keeping(added, [&](const trust::Layout&) {
        return trust::add_ders_to_managed_source({fetched->cert().der}, target_file);
      }));
  if (!stored) return fail(ctx, stored.error());
  agent::log_store_outcome(*stored, ctx.log);
  if (std::string why = agent::partial_chain_warning(cert); !why.empty()) {
    ctx.log.warning(why);
    result["partial_chain_only"] = true;
  }
  result["stored"] = !added.added.empty();
  result["already_present"] = added.added.empty();
  result["merge"] = merge_json(*stored);
  if (ctx.json) {
    std::cout << agent::json_text(result);
  } else {
    std::cout << (added.added.empty() ? "already in " : "stored in ") << target_file << ": "
              << cert.subject << "\n  sha256 " << cert.sha256 << "\n";
    print_merge_text(*stored);
  }
  return merge_exit_code(*stored);
}

void add_fetch_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<FetchOptions>();
  CLI::App* sub = app.add_subcommand(
      "fetch",
      "Get a server's certificate without trusting it, show the chain it presents, and store the "
      "picked certificate in cainfo.pem (or cainfo-ss.pem with --site), then merge. Trust is never "
      "silent: on a terminal it asks; without one it needs a matching --fingerprint, a leaf that "
      "matches the policy's pin, or an explicit --trust-on-first-use (refused when the policy pins "
      "another certificate).");
  sub->add_option("HOST", opts->target,
                  "host[:port] (443 by default), or an https URL; default: the configured server "
                  "('server' in the config or --server), else the policy's <Server>");
  sub->add_flag("--site", opts->site, "Store into cainfo-ss.pem (a site server)");
  sub->add_option("--pick", opts->pick,
                  "Which certificate: leaf, root (the last one sent) or N (1 = the leaf); default: "
                  "the self-signed one (the leaf of a self-signed server, else the root when the "
                  "server sends it), else the last one sent");
  sub->add_option("--fingerprint", opts->fingerprint,
                  "Store only if the picked certificate has this SHA-256 or SHA-1 fingerprint")
      ->configurable(false);
  sub->add_flag("--trust-on-first-use", opts->tofu,
                "Without a terminal, store whatever the server presents (you accept the risk)")
      ->configurable(false);
  sub->add_flag("--yes", opts->yes, "On a terminal, answer yes instead of asking")
      ->configurable(false);
  sub->add_option("--timeout", opts->timeout, "Seconds for the connection (default 10)")
      ->check(CLI::PositiveNumber);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_fetch(ctx, *opts); });
}

}  // namespace cli
