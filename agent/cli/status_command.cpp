#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/status.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

std::string yes_no(const policy::Setting<bool>& s) {
  return std::string(s.value ? "yes" : "NO") + " (" + (s.from.empty() ? "default" : s.from) + ")";
}

// One line for how policies are authorised here, and the index in force when they are signed.
void print_signing(const nlohmann::json& s) {
  auto text = [](const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string()
               ? trust::printable_text(j[key].get<std::string>())
               : std::string("?");
  };
  if (text(s, "mode") != "signed") {
    std::cout << "policy signing: "
              << (text(s, "mode") == "legacy" ? "none (legacy: policies are "
                                                "authorised by TLS alone)"
                                              : "signers file refused")
              << "\n";
    return;
  }
  std::cout << "policy signing: " << s["signers"].size() << " signer(s)";
  const auto& index = s["index"];
  if (index.is_object()) {
    std::cout << "; index serial " << index.value("serial", int64_t{0}) << " from "
              << text(index, "from") << ", expires " << text(index, "expires") << ", signed by "
              << text(index["signer"], "subject");
  } else {
    std::cout << "; no signed index accepted yet";
  }
  std::cout << "\n";
}

void print_anchors(const agent::Status& status, const agent::StoreOutcome& synced) {
  std::cout << "anchors (" << status.anchors.size() << "), in store order:\n";
  for (const auto& a : status.anchors) {
    std::string sources;
    for (const auto& s : a.anchor.sources) sources += (sources.empty() ? "" : ", ") + s;
    std::cout << "  [" << a.anchor.index << "] " << a.role << "  " << a.days_left << " days left  "
              << a.anchor.info.subject << "\n      from " << sources << "  sha256 "
              << a.anchor.info.sha256 << "\n";
  }
  for (const auto& r : synced.rollover.reserves) {
    std::cout << "reserve " << r.sha256 << " " << (r.pending(status.now) ? "pending" : "active")
              << ", activates " << trust::to_iso8601(r.activate_at) << " (from " << r.origin.text()
              << ")\n";
  }
}

void print_last_refresh(const nlohmann::json& last) {
  if (last.is_null()) {
    std::cout << "last refresh: never\n";
  } else {
    // Read from status.json: whatever a field holds, it is shown as inert text, never thrown on.
    auto field = [&](const char* key) {
      auto it = last.is_object() ? last.find(key) : last.end();
      return it != last.end() && it->is_string() ? trust::printable_text(it->get<std::string>())
                                                 : std::string();
    };
    std::string time = field("time"), result = field("result"), message = field("message");
    std::cout << "last refresh: " << (time.empty() ? "?" : time) << " "
              << (result.empty() ? "?" : result);
    if (!message.empty()) std::cout << ": " << message;
    std::cout << "\n";
  }
}

void print_policy(const agent::Status& status, const policy::Effective& e) {
  std::cout << "policy: verify peer " << yes_no(e.verify_peer) << ", verify host "
            << yes_no(e.verify_host) << ", refresh every " << e.refresh_interval.value << " s";
  if (!status.server.empty()) {
    std::cout << ", server " << trust::printable_text(status.server) << " (from "
              << status.server_from << ")";
  }
  std::cout << "\n";
  for (const auto& p : e.pins.value) std::cout << "  pin " << p.text() << "\n";
  for (const auto& p : e.policies) {
    std::cout << "  policy " << p.guid << " revision " << p.revision << " priority " << p.priority
              << "\n";
  }
}

void print_warnings(const agent::Status& status) {
  for (const auto& r : status.retired) {
    std::cout << "  retired " << r.sha256 << " " << r.subject << " (kept in var/retired.pem)\n";
  }
  size_t information = 0;
  for (const auto& w : status.warnings) information += w.information ? 1 : 0;
  if (status.warnings.size() == information) {
    std::cout << "no warnings\n";
  } else {
    std::cout << "warnings (" << status.warnings.size() - information << "):\n";
    for (const auto& w : status.warnings) {
      if (!w.information) std::cout << "  " << w.code << ": " << w.message << "\n";
    }
  }
  if (information == 0) return;
  std::cout << "information (" << information << ", nothing to act on):\n";
  for (const auto& w : status.warnings) {
    if (w.information) std::cout << "  " << w.code << ": " << w.message << "\n";
  }
}

void print_status(const agent::Status& status, const agent::StoreOutcome& synced) {
  print_anchors(status, synced);
  print_last_refresh(status.last_refresh);
  print_policy(status, synced.effective);
  print_signing(status.policy_signing);
  print_warnings(status);
}

}  // namespace

int run_status(Context& ctx) {
  auto synced = bring_store_up_to_date(ctx);
  if (!synced) return ctx.exit_code;
  auto status =
      agent::collect_status(trust::Layout::at(ctx.home), *synced, std::nullopt, ctx.server);
  if (!status) return fail(ctx, status.error());
  if (ctx.json) {
    std::cout << agent::json_text(agent::status_json(*status, *synced));
  } else {
    print_status(*status, *synced);
  }
  return status->needs_attention() ? static_cast<int>(trust::Code::kRefused) : 0;
}

void add_status_command(CLI::App& app, Context& ctx) {
  CLI::App* sub = app.add_subcommand(
      "status",
      "Show every anchor with its role (current or reserve), source and days left, the reserves, "
      "the last refresh, the effective policy, and warnings with stable codes (README, "
      "\"Warnings\"). Exits 0 with no warnings, 1 with warnings; information (such as "
      "system_anchor_expired) does not change the exit code.");
  sub->footer(kExitCodes);
  sub->callback([&ctx] { ctx.exit_code = run_status(ctx); });
}

}  // namespace cli
