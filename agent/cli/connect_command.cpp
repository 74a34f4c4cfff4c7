#include <iostream>

#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/connector.h"
#include "agent/json_text.h"
#include "agent/server_watch.h"
#include "policy/policy_set.h"
#include "trust/rollover.h"
#include "trust/time_format.h"

namespace cli {

void add_connect_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string url;
    std::vector<std::string> pins;
    bool no_verify_host = false;
    bool no_verify_peer = false;
    double timeout = 10;
  };
  auto opts = std::make_shared<Options>();
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
  sub->callback([&ctx, opts] {
    auto synced = bring_store_up_to_date(ctx);
    if (!synced) return;
    const policy::Effective& policy = synced->effective;
    agent::ConnectRequest request;
    request.target = !opts->url.empty()    ? opts->url
                     : !ctx.server.empty() ? ctx.server
                                           : policy.server_url.value;
    request.layout = trust::Layout::at(ctx.home);
    request.timeout_seconds = opts->timeout;
    // Policy decides; a flag on the command line overrides it, and says so.
    auto note = [&ctx](const std::string& flag, const std::string& guid) {
      if (!guid.empty()) ctx.log.notice(flag + " overrides policy " + guid);
    };
    request.verify_peer = policy.verify_peer.value && !opts->no_verify_peer;
    request.verify_host = policy.verify_host.value && !opts->no_verify_host;
    if (opts->no_verify_peer) note("--no-verify-peer", policy.verify_peer.from);
    if (opts->no_verify_host) note("--no-verify-host", policy.verify_host.from);
    if (!opts->pins.empty()) {
      note("--pin", policy.pins.from);
      for (const auto& text : opts->pins) {
        auto pin = trust::parse_pin(text);
        if (!pin) {
          ctx.exit_code = fail(ctx, pin.error());
          return;
        }
        request.pins.push_back(*pin);
      }
    } else {
      request.pins = own_server_pins(ctx, policy, opts->url);
    }
    if (!request.verify_peer) {
      ctx.log.alarm(
          "peer verification is OFF (" +
          (opts->no_verify_peer ? "--no-verify-peer" : "policy " + policy.verify_peer.from) +
          "): the server is NOT authenticated; anyone on the path can impersonate it");
    } else if (!request.verify_host) {
      ctx.log.alarm(
          "host name verification is OFF (" +
          (opts->no_verify_host ? "--no-verify-host" : "policy " + policy.verify_host.from) +
          "): any server with a trusted certificate is accepted, whatever its name");
    }
    auto outcome = agent::connect(request);
    if (!outcome) {
      ctx.exit_code = fail(ctx, outcome.error());
      return;
    }
    ctx.exit_code = outcome->ok() ? 0 : static_cast<int>(outcome->failure->code);
    if (outcome->ok() && outcome->anchor && !outcome->chain.empty()) {
      // What the server presents: for warnings before the configured server's leaf expires (it
      // is no anchor when a CA issued it), and so that rollover retires a replaced certificate
      // only once its successor is in use. Not recording it changes nothing else.
      (void)agent::record_verified_connection(
          request.layout, opts->url.empty() ? agent::kConfiguredServerRole : "",
          agent::address_of(*outcome), outcome->chain.front().info, outcome->anchor->sha256,
          ctx.clock->now());
    }
    nlohmann::json chain = chain_json(outcome->chain);
    std::string role = outcome->anchor ? trust::role_of(outcome->anchor->sha256,
                                                        synced->rollover.reserves, synced->now)
                                       : "";
    if (ctx.json) {
      nlohmann::json j = {{"ok", outcome->ok()},
                          {"url", outcome->url},
                          {"chain", chain},
                          {"stale_store", synced->stale_because.has_value()}};
      if (outcome->ok()) {
        j["http_status"] = outcome->http_status;
        if (outcome->anchor) {
          j["anchor"] = {{"index", outcome->anchor->index},
                         {"sha256", outcome->anchor->sha256},
                         {"subject", outcome->anchor->subject},
                         {"role", role}};
        } else {
          j["anchor"] = nullptr;  // not verified (--no-verify-peer)
        }
      } else {
        j["error"] = {{"code", trust::reason_name(outcome->reason())},
                      {"message", outcome->failure->message}};
      }
      std::cout << agent::json_text(j);
    }
    if (!outcome->ok()) {
      std::string hint = agent::how_to_trust(*outcome);
      ctx.log.error(outcome->url + ": " + outcome->failure->message +
                    (hint.empty() ? "" : "; " + hint));
    }
    if (!ctx.json) {
      std::ostream& out = outcome->ok() ? std::cout : std::cerr;
      if (outcome->ok()) {
        out << "connected to " << outcome->url << " (HTTP " << outcome->http_status << ")\n";
        if (outcome->anchor) {
          out << "authenticated by anchor [" << outcome->anchor->index << "] (" << role << ") "
              << outcome->anchor->subject << "\n  sha256 " << outcome->anchor->sha256 << "\n";
        } else {
          out << "NOT authenticated (--no-verify-peer)\n";
        }
      }
      print_chain(out, outcome->chain);
    }
  });
}

}  // namespace cli
