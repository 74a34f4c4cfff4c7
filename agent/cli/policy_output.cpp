#include "agent/cli/policy_output.h"

#include <iostream>

#include "agent/cli/output.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

template <class T>
nlohmann::json setting(const policy::Setting<T>& s) {
  return {{"value", s.value}, {"from", s.from.empty() ? "default" : s.from}};
}

}  // namespace

nlohmann::json effective_json(const policy::Effective& e) {
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& p : e.policies) {
    policies.push_back({{"guid", p.guid},
                        {"name", p.name},
                        {"revision", p.revision},
                        {"priority", p.priority},
                        {"file", p.file}});
  }
  nlohmann::json ca_files = nlohmann::json::array();
  for (const auto& f : e.ca_files) ca_files.push_back({{"path", f.path}, {"from", f.from}});
  return {{"policies", policies},
          {"effective",
           {{"verify_peer", setting(e.verify_peer)},
            {"verify_host", setting(e.verify_host)},
            {"use_system_store", setting(e.use_system_store)},
            {"pins", setting(e.pins_text)},
            {"refresh_interval", setting(e.refresh_interval)},
            {"refresh_jitter", setting(e.refresh_jitter)},
            {"server", setting(e.server_url)}}},
          {"ca_files", ca_files}};
}

void print_effective(const policy::Effective& e) {
  std::cout << e.policies.size() << " policies in force (lowest priority first):\n";
  for (const auto& p : e.policies) {
    std::cout << "  " << p.guid << "  revision " << p.revision << "  priority " << p.priority
              << "  " << trust::printable_text(p.name) << "\n";
  }
  auto line = [](const char* name, const std::string& value, const std::string& from) {
    std::cout << "  " << name << " = " << trust::printable_text(value) << "   ("
              << (from.empty() ? "default" : from) << ")\n";
  };
  std::cout << "effective settings:\n";
  line("SSLVerifyPeer", e.verify_peer.value ? "yes" : "NO", e.verify_peer.from);
  line("SSLVerifyHost", e.verify_host.value ? "yes" : "NO", e.verify_host.from);
  line("UseSystemCAStore", e.use_system_store.value ? "yes" : "no", e.use_system_store.from);
  line("SSLNSPublicHttpsCertFingerprint", e.pins_text.value.empty() ? "(none)" : e.pins_text.value,
       e.pins_text.from);
  line("Refresh",
       std::to_string(e.refresh_interval.value) + " s + up to " +
           std::to_string(e.refresh_jitter.value) + " s jitter",
       e.refresh_interval.from);
  line("Server", e.server_url.value.empty() ? "(none)" : e.server_url.value, e.server_url.from);
  for (const auto& f : e.ca_files) line("CA file", f.path, f.from);
}

nlohmann::json signer_json(const trust::CertInfo& c) {
  return {
      {"subject", c.subject}, {"sha256", c.sha256}, {"not_after", trust::to_iso8601(c.not_after)}};
}

nlohmann::json refresh_json(const agent::RefreshReport& report) {
  nlohmann::json j = {{"index", report.index_url},          {"not_modified", report.not_modified},
                      {"requests", report.downloads},       {"installed", report.installed},
                      {"removed", report.removed},          {"unchanged", report.unchanged},
                      {"merge", merge_json(report.applied)}};
  j["held_back"] = report.held_back;
  j["from"] = report.from;
  j["servers_refused"] = nlohmann::json::array();
  for (const auto& e : report.servers_refused) j["servers_refused"].push_back(e.message);
  j["signed"] = nullptr;
  if (const auto& s = report.signed_index) {
    j["signed"] = {{"serial", s->serial},
                   {"expires", trust::to_iso8601(s->expires)},
                   {"signer", {{"subject", s->signer_subject}, {"sha256", s->signer_sha256}}},
                   {"signers_replaced", report.signers_rotated}};
  }
  j["unauthenticated_server"] = nullptr;
  if (!report.unauthenticated_sha256.empty()) {
    j["unauthenticated_server"] = {{"subject", report.unauthenticated_subject},
                                   {"sha256", report.unauthenticated_sha256}};
  }
  j["refused"] = nlohmann::json::array();
  for (const auto& e : report.refused) j["refused"].push_back(e.message);
  return j;
}

void print_refresh_text(const agent::RefreshReport& report) {
  if (report.not_modified) {
    std::cout << report.index_url << ": not modified (304)\n";
  } else {
    std::cout << report.index_url << ": " << report.installed.size() << " installed, "
              << report.removed.size() << " removed, " << report.unchanged.size() << " unchanged, "
              << report.refused.size() << " refused\n";
  }
  for (const auto& g : report.installed) std::cout << "  + " << g << "\n";
  for (const auto& g : report.removed) std::cout << "  - " << g << "\n";
  print_merge_text(report.applied);
}

}  // namespace cli
