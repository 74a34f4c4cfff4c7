// Every command as a library function: `add_x_command` declares the options of `trustagent x`
// and its callback only calls `run_x(ctx, opts)`, which returns the exit code. The decisions a
// command needs are agent/ functions; run_x wires them together and renders the result (text, or
// JSON with --json). Tests link this library and may call run_x directly.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "agent/cli/command_options.h"
#include "agent/cli/context.h"

namespace cli {

struct AddOptions {
  std::string file, pick;
  PasswordOptions password;
  bool site = false;
};
int run_add(Context& ctx, const AddOptions& opts);

struct RemoveOptions {
  std::string fingerprint;
};
int run_remove(Context& ctx, const RemoveOptions& opts);

struct MergeOptions {
  bool force = false;
  bool allow_empty = false;
};
int run_merge(Context& ctx, const MergeOptions& opts);
int run_list(Context& ctx);
int run_status(Context& ctx);

struct ConnectOptions {
  std::string url;
  std::vector<std::string> pins;
  bool no_verify_host = false;
  bool no_verify_peer = false;
  double timeout = 10;
};
int run_connect(Context& ctx, const ConnectOptions& opts);

struct FetchOptions {
  std::string target;
  bool site = false;
  std::string pick;
  std::string fingerprint;
  bool tofu = false;
  bool yes = false;
  double timeout = 10;
};
int run_fetch(Context& ctx, const FetchOptions& opts);

struct MoveOptions {
  std::string address, cert, fingerprint;
  PasswordOptions password;
  int port = 443;
  bool dry_run = false;
  double timeout = 10;
};
int run_move(Context& ctx, const MoveOptions& opts);

struct ReserveAddOptions {
  std::string file;
  ActivationOptions activation;
  std::vector<std::string> replaces;
  bool force = false;
  PasswordOptions password;
};
int run_reserve_add(Context& ctx, const ReserveAddOptions& opts);
int run_reserve_list(Context& ctx);
int run_reserve_remove(Context& ctx, const std::string& fingerprint);

int run_policy_show(Context& ctx);

struct PolicyRefreshOptions {
  double timeout = 30;
  bool full = false;
};
int run_policy_refresh(Context& ctx, const PolicyRefreshOptions& opts);

struct PolicyPublishOptions {
  std::string dir;
  bool force = false;
  double timeout = 30;
  SigningOptions signing;
};
int run_policy_publish(Context& ctx, const PolicyPublishOptions& opts);
int run_policy_remove(Context& ctx, const std::string& guid);
int run_policy_trust_signer(Context& ctx, const std::string& file, const std::string& fingerprint);
int run_policy_signers(Context& ctx, const std::string& remove_fingerprint);

struct PolicyReserveOptions {
  std::string file, dir, guid;
  ActivationOptions activation;
  std::vector<std::string> replaces;
  bool force = false;
  SigningOptions signing;
};
int run_policy_reserve(Context& ctx, const PolicyReserveOptions& opts);

struct ReadinessOptions {
  std::string log, policy, reserve, since;
};
int run_readiness(Context& ctx, const ReadinessOptions& opts);

struct LintOptions {
  std::string file, profile, address;
  PasswordOptions password;
};
int run_lint(Context& ctx, const LintOptions& opts);

struct AcknowledgeOptions {
  std::string code, fingerprint;
  bool remove = false, list = false;
};
int run_acknowledge(Context& ctx, const AcknowledgeOptions& opts);

struct RunOptions {
  bool once = false;
  std::string log = "stderr";
  double timeout = 30;
};
int run_run(Context& ctx, const RunOptions& opts);

void add_merge_command(CLI::App& app, Context& ctx);
void add_list_command(CLI::App& app, Context& ctx);
void add_add_command(CLI::App& app, Context& ctx);
void add_remove_command(CLI::App& app, Context& ctx);
void add_connect_command(CLI::App& app, Context& ctx);
void add_fetch_command(CLI::App& app, Context& ctx);
void add_policy_command(CLI::App& app, Context& ctx);
void add_policy_reserve_command(CLI::App& policy_group, Context& ctx);
void add_policy_publish_command(CLI::App& policy_group, Context& ctx);
void add_policy_signer_commands(CLI::App& policy_group, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);
void add_readiness_command(CLI::App& app, Context& ctx);
void add_acknowledge_command(CLI::App& app, Context& ctx);
void add_reserve_command(CLI::App& app, Context& ctx);
void add_status_command(CLI::App& app, Context& ctx);
void add_move_command(CLI::App& app, Context& ctx);
void add_lint_command(CLI::App& app, Context& ctx);

}  // namespace cli
