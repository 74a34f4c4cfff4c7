#include <iostream>

#include "agent/acknowledgements.h"
#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"

namespace cli {

int run_acknowledge(Context& ctx, const AcknowledgeOptions& opts) {
  trust::Layout layout = trust::Layout::at(ctx.home);
  if (opts.list) {
    auto acks = agent::load_acknowledgements(layout);
    if (ctx.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& a : acks) j.push_back({{"code", a.code}, {"sha256", a.sha256}});
      std::cout << agent::json_text(nlohmann::json{{"acknowledged", j}});
    } else {
      for (const auto& a : acks) std::cout << a.code << "  " << a.sha256 << "\n";
    }
    return 0;
  }
  auto fp = trust::parse_fingerprint(opts.fingerprint);
  if (opts.code.empty() || !fp || fp->algorithm != trust::Fingerprint::Algorithm::kSha256) {
    return fail(ctx, trust::make_error(trust::Code::kBadInput,
                                       "acknowledge needs CODE and a SHA-256 "
                                       "FINGERPRINT (or --list)"));
  }
  agent::Acknowledgement a{opts.code, fp->hex};
  auto done =
      opts.remove ? agent::withdraw_acknowledgement(layout, a) : agent::acknowledge(layout, a);
  if (!done) {
    return fail(ctx, done.error());
  }
  if (ctx.json) {
    std::cout << agent::json_text(
        nlohmann::json{{"code", a.code}, {"sha256", a.sha256}, {"acknowledged", !opts.remove}});
  } else {
    std::cout << (opts.remove ? "no longer acknowledged: " : "acknowledged: ") << a.code << " "
              << a.sha256 << "\n";
  }
  return 0;
}

void add_acknowledge_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<AcknowledgeOptions>();
  CLI::App* sub = app.add_subcommand(
      "acknowledge",
      "Accept one status warning about one certificate: it is still shown, as information that "
      "does not make status exit 1. A new certificate or another code warns again. Warnings about "
      "no certificate (empty store, failing central server) cannot be acknowledged.");
  sub->add_option("CODE", opts->code, "The warning's code, as status shows it");
  sub->add_option("FINGERPRINT", opts->fingerprint, "The certificate's SHA-256, any spelling");
  sub->add_flag("--remove", opts->remove, "Withdraw the acknowledgement: warn again");
  sub->add_flag("--list", opts->list, "List the acknowledgements");
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] { ctx.exit_code = run_acknowledge(ctx, *opts); });
}

}  // namespace cli
