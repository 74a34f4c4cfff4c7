#include <unistd.h>

#include <iostream>

#include "agent/cli/context.h"
#include "agent/cli/output.h"
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

}  // namespace

void add_fetch_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string target;
    bool site = false;
    std::string pick;
    std::string fingerprint;
    bool tofu = false;
    bool yes = false;
    double timeout = 10;
  };
  auto opts = std::make_shared<Options>();
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
  sub->callback([&ctx, opts] {
    std::optional<trust::Fingerprint> expected;
    if (!opts->fingerprint.empty()) {
      auto fp = trust::parse_fingerprint(opts->fingerprint);
      if (!fp) {
        ctx.exit_code = fail(ctx, fp.error());
        return;
      }
      expected = *fp;
    }
    auto synced = bring_store_up_to_date(ctx);
    if (!synced) return;
    // The first install: the legacy agent fetched its server's certificate without being told
    // where the server was. Trusting it still needs a fingerprint, a pin or a person.
    if (opts->target.empty()) {
      opts->target = !ctx.server.empty() ? ctx.server : synced->effective.server_url.value;
    }
    if (opts->target.empty()) {
      ctx.exit_code = fail(ctx, trust::make_error(trust::Code::kBadInput,
                                                  "fetch needs HOST: no server is configured "
                                                  "('server = HOST:PORT' in trustagent.conf)"));
      return;
    }
    auto chain = agent::fetch_chain(opts->target, opts->timeout);
    if (!chain) {
      ctx.exit_code = fail(ctx, chain.error());
      return;
    }
    auto picked = agent::pick_certificate(*chain, opts->pick);
    if (!picked) {
      ctx.exit_code = fail(ctx, picked.error());
      return;
    }
    const agent::PresentedCert& cert = (*chain)[*picked];
    print_chain(ctx.json ? std::cerr : std::cout, *chain);
    std::string target_file =
        opts->site ? trust::Layout::at(ctx.home).cainfo_ss : trust::Layout::at(ctx.home).cainfo;
    nlohmann::json result = {{"stored", false},
                             {"file", target_file},
                             {"sha256", cert.info.sha256},
                             {"subject", cert.info.subject},
                             {"chain", chain_json(*chain)}};
    auto refuse = [&](const std::string& why) {
      if (ctx.json) {
        result["error"] = {{"code", "refused"}, {"message", why}};
        std::cout << agent::json_text(result);
      }
      ctx.log.error(why + "; nothing was written");
      ctx.exit_code = static_cast<int>(trust::Code::kRefused);
    };

    // The pins connect would apply decide too: a leaf the policy pins needs no other fingerprint,
    // and a leaf it does not pin is exactly what trust on first use must not take silently.
    const auto& pins = synced->effective.pins;
    std::vector<trust::Pin> own_pins = own_server_pins(ctx, synced->effective, opts->target);
    agent::PinVerdict verdict = agent::check_pins(own_pins, chain->front());
    std::string pinned_by = "policy " + pins.from;
    if (verdict == agent::PinVerdict::kMismatch) {
      std::string listed;
      for (const auto& pin : own_pins) listed += (listed.empty() ? "" : "; ") + pin.text();
      ctx.log.alarm("the server's certificate matches no pin of " + pinned_by + " (" + listed +
                    "): connect will refuse it with pin_mismatch");
    }
    result["policy_pin"] = verdict == agent::PinVerdict::kNoPins    ? "none"
                           : verdict == agent::PinVerdict::kMatches ? "matches"
                                                                    : "mismatch";

    agent::TrustDecision decision =
        agent::decide_trust({expected, verdict, pinned_by, opts->tofu, ::isatty(STDIN_FILENO) == 1},
                            cert, *picked + 1, chain->front());
    using Basis = agent::TrustDecision::Basis;
    if (decision.basis == Basis::kRefused) {
      refuse(decision.message);
      return;
    }
    if (decision.basis == Basis::kAskPerson && !opts->yes && !ask_person(cert.info)) {
      refuse("not trusted");
      return;
    }
    if (decision.basis == Basis::kFirstUse) {
      ctx.log.alarm(decision.message);
    } else if (!decision.message.empty()) {
      ctx.log.notice(decision.message);
    }

    trust::AddOutcome added;
    auto stored =
        agent::sync_store(ctx.store_request(), agent::keeping(added, [&](const trust::Layout&) {
                            return trust::add_ders_to_managed_source({cert.der}, target_file);
                          }));
    if (!stored) {
      ctx.exit_code = fail(ctx, stored.error());
      return;
    }
    agent::log_store_outcome(*stored, ctx.log);
    if (!cert.info.self_signed) {
      // Only partial-chain clients (curl, trustagent) stop at a non-root anchor; OpenSSL's
      // verify, Python and Node need the root.
      std::string why = "the stored anchor '" + cert.info.subject +
                        "' is not a root, and the server does not send its issuer '" +
                        cert.info.issuer +
                        "': curl and trustagent accept the server, openssl verify, Python and "
                        "Node do not. Get that root from its CA, check its fingerprint, and add "
                        "it: trustagent add ROOT.pem";
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
                << cert.info.subject << "\n  sha256 " << cert.info.sha256 << "\n";
      print_merge_text(*stored);
    }
    ctx.exit_code = merge_exit_code(*stored);
  });
}

}  // namespace cli
