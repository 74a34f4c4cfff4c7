#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "trust/time_format.h"

namespace cli {

int run_list(Context& ctx) {
  auto outcome = bring_store_up_to_date(ctx);
  if (!outcome) return ctx.exit_code;
  auto anchors = trust::load_anchors(trust::Layout::at(ctx.home));
  if (!anchors) return fail(ctx, anchors.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& a : *anchors) {
      nlohmann::json j = cert_json(a.info);
      j["index"] = a.index;
      j["sources"] = a.sources;
      list.push_back(j);
    }
    std::cout << agent::json_text(
        nlohmann::json{{"anchors", list}, {"stale_store", outcome->stale_because.has_value()}});
  } else {
    std::cout << anchors->size() << " anchors in " << trust::Layout::at(ctx.home).merged << "\n";
    for (const auto& a : *anchors) {
      std::string sources;
      for (const auto& s : a.sources) sources += (sources.empty() ? "" : ",") + s;
      std::cout << "[" << a.index << "] " << a.info.subject << "\n"
                << "    sha256 " << a.info.sha256 << "\n"
                << "    until  " << trust::to_iso8601(a.info.not_after)
                << (a.info.is_ca ? "  CA" : "") << (a.info.self_signed ? "  self-signed" : "")
                << "  from " << sources << "\n";
    }
  }
  return merge_exit_code(*outcome);
}

void add_list_command(CLI::App& app, Context& ctx) {
  CLI::App* sub = app.add_subcommand(
      "list", "List the anchors of the merged store in store order (brings it up to date first).");
  sub->footer(kExitCodes);
  sub->callback([&ctx] { ctx.exit_code = run_list(ctx); });
}

}  // namespace cli
