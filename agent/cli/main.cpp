// trustagent: the thin command-line layer. Every behaviour lives in the libraries; this file only
// wires options to them.
#include <curl/curl.h>
#include <openssl/crypto.h>

#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "agent/cli/commands.h"
#include "agent/tls_backend.h"
#include "trust/layout.h"
#include "trust/safe_text.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"

namespace {

// The config file lives in the home, so the home must be known before CLI11 reads the config.
std::string home_from(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--home") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--home=", 7) == 0) return argv[i] + 7;
  }
  if (const char* env = std::getenv("TRUSTAGENT_HOME"); env && *env) return env;
  return "/opt/trustagent";
}

// --config FILE or --config=FILE, else the default in the home.
std::string config_from(int argc, char** argv, const std::string& home) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return trust::Layout::at(home).config;
}

// The settings file names the server and extra CA files: another user who could write it could
// point the agent anywhere. It passes the same checks as a CA source, and CLI11 is given the bytes
// that were checked, never the path to open again.
class CheckedConfig : public CLI::ConfigTOML {
 public:
  explicit CheckedConfig(std::string content) : content_(std::move(content)) {}
  std::vector<CLI::ConfigItem> from_config(std::istream& /*opened by path*/) const override {
    std::istringstream checked(content_);
    return CLI::ConfigTOML::from_config(checked);
  }

 private:
  std::string content_;
};

// nullopt, after printing why, when the settings file is refused; "" when there is none.
std::optional<std::string> read_settings(const std::string& path) {
  trust::SourceProbe probe = trust::probe_source(path);
  if (probe.presence == trust::SourceProbe::Presence::kMissing) return std::string();
  std::string why = probe.reason;
  if (probe.presence == trust::SourceProbe::Presence::kPresent) {
    auto content = trust::read_source_file(path, size_t{1} << 20, &probe.stamp);
    if (content) return std::move(*content);
    why = content.error().message;
  }
  agent::Log::command_line().error(path + ": settings file refused: " + why);
  return std::nullopt;
}

// What every command shares, before or after the command's name (cli::Context).
void add_global_options(CLI::App& app, cli::Context& ctx, std::string& config,
                        const std::string& settings) {
  app.set_version_flag("--version", TRUSTAGENT_VERSION);
  app.add_option("--home", ctx.home, "Agent home (default $TRUSTAGENT_HOME, else /opt/trustagent)");
  app.add_flag("--json", ctx.json, "Machine-readable output on stdout");
  app.add_option("--ca-file", ctx.ca_files,
                 "Extra CA source, absolute path; repeatable; also 'ca-file = PATH' in the config")
      ->take_all()
      ->allow_extra_args(false);  // `--ca-file F URL`: the URL is not a second CA file
  app.add_option("--lock-timeout", ctx.lock_timeout,
                 "Seconds to wait for another writer before exiting 4 (default 10)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--server", ctx.server,
                 "The agent's server, host[:port]; also 'server = …' in the config");
  app.add_option("--mirror", ctx.mirrors,
                 "Another central server with the same policies, asked after --server; "
                 "repeatable; also 'mirror = [\"URL\", …]' in the config")
      ->take_all()
      ->allow_extra_args(false);
  // A function, not the optional itself: CLI11 2.1 sets an optional flag to false when absent.
  app.add_flag_function(
      "--capath,!--no-capath", [&ctx](int64_t count) { ctx.capath = count > 0; },
      "Also keep etc/capath, the store as a hashed directory for -CApath users "
      "(<subject hash>.N files); once made, every command keeps it in step until "
      "--no-capath removes it; also 'capath = true|false' in the config");
  app.config_formatter(std::make_shared<CheckedConfig>(settings));
  app.set_config("--config", config, "Settings file (INI); command-line flags override it", false);
  // Settings for later features may already be in the file; they must not break today's commands.
  app.allow_config_extras(CLI::config_extras_mode::ignore);
}

void add_commands(CLI::App& app, cli::Context& ctx) {
  cli::add_merge_command(app, ctx);
  cli::add_list_command(app, ctx);
  cli::add_add_command(app, ctx);
  cli::add_remove_command(app, ctx);
  cli::add_connect_command(app, ctx);
  cli::add_fetch_command(app, ctx);
  cli::add_policy_command(app, ctx);
  cli::add_reserve_command(app, ctx);
  cli::add_status_command(app, ctx);
  cli::add_move_command(app, ctx);
  cli::add_lint_command(app, ctx);
  cli::add_run_command(app, ctx);
  cli::add_readiness_command(app, ctx);
  cli::add_acknowledge_command(app, ctx);
}

void prepare_process() {
  // A file-size limit (ulimit -f) must fail a write with EFBIG, which the atomic writer reports
  // and cleans up after, rather than kill the process half-way.
  std::signal(SIGXFSZ, SIG_IGN);
  // Directories the agent creates must pass its own ownership and mode checks (var/policies,
  // var/state): a caller's group-writable umask must not make it refuse its own files.
  ::umask(022);
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  // Before curl_global_init: a libcurl with several TLS backends can still be told to use
  // OpenSSL. What it decided is kept; every connection refuses to start on a wrong one.
  (void)agent::select_openssl_backend();
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

}  // namespace

int main(int argc, char** argv) {
  prepare_process();
  cli::Context ctx;
  ctx.home = home_from(argc, argv);
  std::string config = config_from(argc, argv, ctx.home);
  std::optional<std::string> settings = read_settings(config);
  if (!settings) return static_cast<int>(trust::Code::kBadInput);

  CLI::App app{
      "trustagent: decides which TLS servers this endpoint trusts and keeps that up to date."};
  add_global_options(app, ctx, config, *settings);
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(cli::kExitCodes);
  add_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // --help and --version are successes; every other parse error is usage
  }
  // A result nobody received is not a success: a full disk under a redirect, a closed pipe.
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    ctx.log.error(std::string("the output could not be written: ") + std::strerror(errno));
    return static_cast<int>(trust::Code::kBadInput);
  }
  return ctx.exit_code;
}
