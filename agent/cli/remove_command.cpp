#include <iostream>

#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "policy/source_list.h"
#include "trust/managed_source.h"
#include "trust/store_index.h"

namespace cli {
namespace {

// Names the admin-owned file an anchor comes from, so the refusal says where to look.
std::string admin_source_of(const trust::Layout& layout, const trust::Fingerprint& fp) {
  auto index = trust::load_index(layout.merged_index);
  if (!index) return "";
  for (const auto& e : index->entries) {
    bool hit = fp.algorithm == trust::Fingerprint::Algorithm::kSha256 ? e.sha256 == fp.hex
                                                                      : e.sha1 == fp.hex;
    if (hit && !e.sources.empty()) return e.sources.front();
  }
  return "";
}

}  // namespace

void add_remove_command(CLI::App& app, Context& ctx) {
  auto fingerprint_text = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand(
      "remove",
      "Take the certificate with this SHA-256 (or SHA-1) fingerprint out of the agent-managed "
      "sources, then merge. Any spelling: colons or not, any case, optional sha256: prefix. "
      "Admin-owned CA files are never edited.");
  sub->add_option("FINGERPRINT", *fingerprint_text, "Fingerprint of the certificate")->required();
  sub->footer(kExitCodes);
  sub->callback([&ctx, fingerprint_text] {
    auto fp = trust::parse_fingerprint(*fingerprint_text);
    if (!fp) {
      ctx.exit_code = fail(ctx, fp.error());
      return;
    }
    trust::RemoveOutcome removed;
    auto outcome = agent::sync_store(
        ctx.store_request(),
        agent::keeping(
            removed, [&](const trust::Layout& layout) -> trust::Result<trust::RemoveOutcome> {
              auto r =
                  trust::remove_from_managed_sources(policy::agent_managed_sources(layout), *fp);
              std::string admin = r ? "" : admin_source_of(layout, *fp);
              if (!admin.empty()) {
                return trust::make_error(
                    trust::Code::kRefused,
                    "anchor " + fp->hex + " comes from " + admin +
                        ", which is not agent-managed; trustagent never edits it");
              }
              return r;
            }));
    if (!outcome) {
      ctx.exit_code = fail(ctx, outcome.error());
      return;
    }
    agent::log_store_outcome(*outcome, ctx.log);
    if (ctx.json) {
      nlohmann::json j = {{"removed", cert_json(removed.removed)},
                          {"files", removed.files},
                          {"merge", merge_json(*outcome)}};
      std::cout << agent::json_text(j);
    } else {
      std::cout << "removed " << removed.removed.subject << " (" << removed.removed.sha256
                << ") from";
      for (const auto& f : removed.files) std::cout << " " << f;
      std::cout << "\n";
      print_merge_text(*outcome);
    }
    ctx.exit_code = merge_exit_code(*outcome);
  });
}

}  // namespace cli
