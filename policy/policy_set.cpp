#include "policy/policy_set.h"

#include <algorithm>
#include <filesystem>

#include "trust/source_check.h"
#include "trust/source_reader.h"

namespace policy {
namespace fs = std::filesystem;

namespace {

template <class T, class V>
void take(Setting<T>& setting, const std::optional<V>& value, const Policy& p) {
  if (value && setting.from.empty()) setting = {*value, p.guid};
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  // increment(ec): the range-for's operator++ throws on an I/O error, and the daemon must not.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Effective effective_settings(std::vector<Policy> policies) {
  std::sort(policies.begin(), policies.end(), [](const Policy& a, const Policy& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.guid < b.guid;
  });
  Effective e;
  for (const Policy& p : policies) {
    take(e.verify_peer, p.verify_peer, p);
    take(e.verify_host, p.verify_host, p);
    take(e.use_system_store, p.use_system_store, p);
    if (p.pins_text && e.pins.from.empty()) {
      e.pins = {p.pins, p.guid};
      e.pins_text = {*p.pins_text, p.guid};
    }
    take(e.refresh_interval, p.refresh_interval, p);
    take(e.refresh_jitter, p.refresh_jitter, p);
    if (p.server_address && e.server_url.from.empty()) {
      e.server_url = {server_url(*p.server_address, p.server_port, p.server_base_path), p.guid};
    }
    if (!p.mirrors.empty() && e.mirrors.from.empty()) {
      e.mirrors.from = p.guid;
      for (const auto& m : p.mirrors) {
        e.mirrors.value.push_back(server_url(m.address, m.port, m.base_path));
      }
    }
    if (p.ca_info) e.ca_files.push_back({*p.ca_info, p.guid});
    if (p.ca_path) {
      auto files = files_in(*p.ca_path);
      if (files.empty()) e.ca_files.push_back({*p.ca_path, p.guid});  // reported by the merge
      for (auto& f : files) e.ca_files.push_back({f, p.guid, *p.ca_path});
    }
  }
  e.policies = std::move(policies);
  return e;
}

LoadedPolicies load_policy_dir(const std::string& dir) {
  LoadedPolicies out;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return out;
  // A policy can turn verification off: only one that no other user could have written counts.
  if (std::string reason; !trust::is_trusted_directory(dir, &reason)) {
    out.refused.push_back(trust::make_error(trust::Code::kBadInput,
                                            "stored policies refused, none applied: " + reason));
    return out;
  }
  std::vector<std::string> files;
  for (auto& f : files_in(dir)) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".xml") files.push_back(f);
  }
  for (const auto& f : files) {
    trust::SourceProbe probe = trust::probe_source(f);
    if (probe.presence != trust::SourceProbe::Presence::kPresent) {
      out.refused.push_back(trust::make_error(
          trust::Code::kBadInput, f + ": policy refused, not applied: " +
                                      (probe.reason.empty() ? "vanished" : probe.reason)));
      continue;
    }
    auto content = trust::read_source_file(f, kMaxPolicyBytes, &probe.stamp);
    if (!content) {
      out.refused.push_back(content.error());
      continue;
    }
    auto p = parse_policy(*content, f);
    if (!p) {
      out.refused.push_back(p.error());
      continue;
    }
    out.policies.push_back(std::move(*p));
  }
  return out;
}

}  // namespace policy
