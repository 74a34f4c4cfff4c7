#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/connect_request.h"
#include "agent/json_text.h"
#include "trust/rollover.h"

namespace cli {
namespace {

nlohmann::json connect_json(const agent::ConnectOutcome& outcome, const std::string& role,
                            bool stale_store) {
  nlohmann::json j = {{"ok", outcome.ok()},
                      {"url", outcome.url},
                      {"chain", chain_json(outcome.chain)},
                      {"stale_store", stale_store}};
  if (!outcome.ok()) {
    j["error"] = {{"code", trust::reason_name(outcome.reason())},
                  {"message", outcome.failure->message}};
    return j;
  }
  j["http_status"] = outcome.http_status;
  j["anchor"] = nullptr;  // not verified (--no-verify-peer)
  if (const auto& a = outcome.anchor) {
    j["anchor"] = {
        {"index", a->index}, {"sha256", a->sha256}, {"subject", a->subject}, {"role", role}};
  }
  return j;
}

void print_connect_text(const agent::ConnectOutcome& outcome, const std::string& role) {
  std::ostream& out = outcome.ok() ? std::cout : std::cerr;
  if (outcome.ok()) {
    out << "connected to " << outcome.url << " (HTTP " << outcome.http_status << ")\n";
    if (const auto& a = outcome.anchor) {
      out << "authenticated by anchor [" << a->index << "] (" << role << ") " << a->subject
          << "\n  sha256 " << a->sha256 << "\n";
    } else {
      out << "NOT authenticated (--no-verify-peer)\n";
    }
  }
  print_chain(out, outcome.chain);
}

}  // namespace

int run_connect(Context& ctx, const ConnectOptions& opts) {
  auto synced = bring_store_up_to_date(ctx);
  if (!synced) return ctx.exit_code;
  agent::ConnectFlags flags{opts.url, opts.pins, opts.no_verify_peer, opts.no_verify_host,
                            opts.timeout};
  auto request = agent::connect_request_for(flags, synced->effective, ctx.server,
                                            trust::Layout::at(ctx.home), ctx.log);
  if (!request) return fail(ctx, request.error());
  auto outcome = agent::connect(*request);
  if (!outcome) return fail(ctx, outcome.error());
  agent::remember_verified_connection(*request, *outcome, opts.url.empty(), ctx.clock->now());
  std::string role = outcome->anchor ? trust::role_of(outcome->anchor->sha256,
                                                      synced->rollover.reserves, synced->now)
                                     : "";
  if (ctx.json)
    std::cout << agent::json_text(connect_json(*outcome, role, synced->stale_because.has_value()));
  if (!outcome->ok()) {
    std::string hint = agent::how_to_trust(*outcome);
    ctx.log.error(outcome->url + ": " + outcome->failure->message +
                  (hint.empty() ? "" : "; " + hint));
  }
  if (!ctx.json) print_connect_text(*outcome, role);
  return outcome->ok() ? 0 : static_cast<int>(outcome->failure->code);
}

void add_connect_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ConnectOptions>();
  CLI::App* sub = app.add_subcommand(
      "connect",
      "Connect once to URL (https://host[:port]/path, host[:port] or [v6]:port; default: the "
      "configured 'server'), verifying against the merged store in one handshake, and report which "
      "anchor authenticated the server and the HTTP status.");
  sub->add_option("URL", opts->url, "Server to connect to");
  sub->add_option("--pin", opts->pins,
                  "Accept only a leaf with this fingerprint (SHA-256 or SHA-1) or public key "
                  "(sha256//BASE64); repeatable, any one matching is enough");
  sub->add_flag("--no-verify-host", opts->no_verify_host, "Do not check the host name (warned)")
      ->configurable(false);
  sub->add_flag("--no-verify-peer", opts->no_verify_peer,
                "Do not verify the chain at all (warned every time)")
      ->configurable(false);
  sub->add_option("--timeout", opts->timeout, "Seconds for the whole connection (default 10)")
      ->check(CLI::PositiveNumber);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_connect(ctx, *opts); });
}

}  // namespace cli
