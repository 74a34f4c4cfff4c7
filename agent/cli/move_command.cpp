#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <sstream>

#include "agent/cli/command_options.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/move.h"
#include "agent/outcome_log.h"

namespace cli {
namespace {

// The 'server' setting as the config file's reader (CLI11) reads it, so that `move` replaces
// exactly what the next command will see.
std::optional<std::string> server_in_config(const std::string& text) {
  std::istringstream in(text);
  for (const auto& item : CLI::ConfigTOML().from_config(in)) {
    if (item.parents.empty() && item.name == "server" && item.inputs.size() == 1) {
      return item.inputs.front();
    }
  }
  return std::nullopt;
}

nlohmann::json move_json(const agent::MoveReport& moved, bool dry_run) {
  const auto& anchor = moved.verified.anchor;
  nlohmann::json j = {{"ok", true},
                      {"server", moved.server},
                      {"dry_run", dry_run},
                      {"committed", moved.committed},
                      {"certificates", nlohmann::json::array()},
                      {"verified_by", anchor ? anchor->sha256 : ""},
                      {"old_server", moved.old_server}};
  for (const auto& c : moved.certificates) j["certificates"].push_back(cert_json(c));
  j["cainfo"] = {{"added", nlohmann::json::array()}, {"removed", nlohmann::json::array()}};
  for (const auto& c : moved.added) j["cainfo"]["added"].push_back(cert_json(c));
  for (const auto& c : moved.removed) j["cainfo"]["removed"].push_back(cert_json(c));
  if (moved.committed) {
    j["backups"] = {{"cainfo", moved.cainfo_backup}, {"config", moved.config_backup}};
    j["merge"] = merge_json(moved.applied);
  }
  return j;
}

void print_move_text(const agent::MoveReport& moved) {
  const auto& anchor = moved.verified.anchor;
  std::cout << moved.server << " authenticated with the new certificate"
            << (anchor ? " " + anchor->subject + " (sha256 " + anchor->sha256 + ")" : "") << "\n";
  const char* verb = moved.committed ? "" : "would ";
  for (const auto& c : moved.added) {
    std::cout << "  " << verb << "add to cainfo.pem     " << c.sha256 << "  " << c.subject << "\n";
  }
  for (const auto& c : moved.removed) {
    std::cout << "  " << verb << "remove from cainfo.pem " << c.sha256 << "  " << c.subject
              << "  (the old server's)\n";
  }
  std::cout << "  " << verb << "set 'server = " << moved.server << "' in trustagent.conf"
            << (moved.old_server.empty() ? "" : " (was " + moved.old_server + ")") << "\n";
  if (!moved.committed) {
    std::cout << "dry run: nothing changed; every other anchor stays\n";
    return;
  }
  std::cout << "moved to " << moved.server << "\n";
  if (!moved.cainfo_backup.empty())
    std::cout << "  old cainfo.pem kept as " << moved.cainfo_backup << "\n";
  if (!moved.config_backup.empty())
    std::cout << "  old config kept as " << moved.config_backup << "\n";
  print_merge_text(moved.applied);
}

}  // namespace

int run_move(Context& ctx, const MoveOptions& opts) {
  auto password = password_of(opts.password);
  if (!password) return fail(ctx, password.error());
  agent::MoveRequest request;
  request.store = ctx.store_request();
  request.host = opts.address;
  request.port = opts.port;
  request.cert_file = opts.cert;
  request.cert_password = *password;
  request.fingerprint = opts.fingerprint;
  request.dry_run = opts.dry_run;
  request.timeout_seconds = opts.timeout;
  request.current_server = ctx.server;
  request.server_in_config = server_in_config;
  auto moved = agent::move_server(request);
  if (!moved) return fail(ctx, moved.error());
  for (const auto& n : moved->notes) ctx.log.warning(n);
  if (moved->committed) agent::log_store_outcome(moved->applied, ctx.log);
  if (ctx.json) {
    std::cout << agent::json_text(move_json(*moved, opts.dry_run));
  } else {
    print_move_text(*moved);
  }
  return moved->committed ? merge_exit_code(moved->applied) : 0;
}

void add_move_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<MoveOptions>();
  CLI::App* sub = app.add_subcommand(
      "move",
      "Re-point the agent at another server, as a transaction: get the new certificate (--cert "
      "FILE, or from the server when it matches --fingerprint), prove that a connection to the new "
      "address authenticates with it, and only then replace cainfo.pem and the 'server' setting "
      "(the old ones kept as .bak) and merge. If anything fails, nothing on disk changes. Root "
      "only for the system home.");
  sub->add_option("--address", opts->address, "The new server's host name or IP address")
      ->required();
  sub->add_option("--port", opts->port, "Its port (default 443)")->check(CLI::Range(1, 65535));
  auto* cert = sub->add_option("--cert", opts->cert, "The new server's certificate (file)")
                   ->configurable(false);
  sub->add_option("--fingerprint", opts->fingerprint,
                  "Take the certificate the new server presents if it has this SHA-256 or SHA-1 "
                  "fingerprint")
      ->excludes(cert)
      ->configurable(false);
  add_password_options(sub, opts->password);
  sub->add_flag("--dry-run", opts->dry_run, "Check everything, change nothing");
  sub->add_option("--timeout", opts->timeout, "Seconds for each connection (default 10)")
      ->check(CLI::PositiveNumber);
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_move(ctx, *opts); });
}

}  // namespace cli
