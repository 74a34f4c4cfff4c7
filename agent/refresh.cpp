#include "agent/refresh.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <set>

#include "agent/connector.h"
#include "agent/endpoint_identity.h"
#include "agent/policy_removal.h"
#include "agent/refresh_record.h"
#include "agent/server_watch.h"
#include "policy/index.h"
#include "policy/policy.h"
#include "trust/atomic_file.h"
#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/pin.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

struct Validators {
  std::string url, etag, last_modified;
};

Validators load_validators(const std::string& path) {
  Validators v;
  auto content = trust::read_source_file(path, 64 << 10);
  if (!content) return v;
  std::string_view text = *content;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::string_view key = line.substr(0, tab), value = line.substr(tab + 1);
    if (key == "url") v.url = value;
    if (key == "etag") v.etag = value;
    if (key == "last-modified") v.last_modified = value;
  }
  return v;
}

std::string base_url(std::string server) {
  if (server.find("://") == std::string::npos) server = "https://" + server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

// What the central server presented goes with a refusal: the fingerprint a person checks and the
// command that trusts it, so an endpoint cut off by a certificate switch says how to heal.
trust::Error connect_error(const ConnectOutcome& out) {
  std::string message = out.url + ": " + out.message;
  if (out.exit_code() == trust::Code::kRefused && !out.chain.empty()) {
    const trust::CertInfo& leaf = out.chain.front().info;
    message += "; the server presents " + leaf.subject + " sha256 " + leaf.sha256 +
               " (after checking that fingerprint: trustagent fetch " + address_of(out) +
               " --fingerprint " + leaf.sha256 + ")";
  }
  return trust::make_error(out.exit_code(), message);
}

struct Download {
  policy::IndexEntry entry;
  std::string content;
  decltype(policy::Policy::revision) revision{};
};

// The pin belongs to the central server itself (its legacy name says so): a policy whose pins
// the server it came from fails would lock the endpoint out of every later correction.
// The revision of the policy stored at `path`, if one is there and parses.
std::optional<decltype(policy::Policy::revision)> stored_revision(const std::string& path) {
  auto old = trust::read_source_file(path, policy::kMaxPolicyBytes);
  if (!old) return std::nullopt;
  auto parsed = policy::parse_policy(*old, path);
  if (!parsed) return std::nullopt;
  return parsed->revision;
}

}  // namespace

bool pins_admit_central_server(const policy::Policy& p, const std::vector<PresentedCert>& chain) {
  if (p.pins.empty() || chain.empty()) return true;  // unverified (no chain) is refused elsewhere
  auto leaf = trust::Certificate::from_der(chain.front().der);
  if (!leaf) return false;
  return std::any_of(p.pins.begin(), p.pins.end(), [&](const trust::Pin& pin) {
    return trust::pin_matches(pin, *leaf->x509_ptr());
  });
}

namespace {

trust::Result<RefreshReport> refresh_once(const RefreshRequest& request) {
  trust::Layout layout = trust::Layout::at(request.store.home);
  auto synced = sync_store(request.store);
  if (!synced) return synced.error();
  const policy::Effective& effective = synced->effective;
  std::string server = request.server.empty() ? effective.server_url.value : request.server;
  if (server.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "no central server: pass --server URL, set 'server' in the config, or "
                             "have a policy name one in <Server>");
  }
  RefreshReport report;
  std::string base = base_url(server);
  report.index_url = base + "/policies/index.xml";

  ConnectRequest get;
  get.layout = layout;
  get.verify_peer = effective.verify_peer.value;
  if (!get.verify_peer) report.unverified_by = effective.verify_peer.from;
  get.verify_host = effective.verify_host.value;
  get.pins = effective.pins.value;
  get.timeout_seconds = request.timeout_seconds;
  get.keep_body = true;
  get.user_agent =
      user_agent(endpoint_id(layout), synced->effective.policies, synced->rollover.reserves);

  std::string validators_path = layout.state_dir + "/refresh.state";
  Validators before = load_validators(validators_path);
  ConnectRequest index_get = get;
  index_get.target = report.index_url;
  index_get.max_body = policy::kMaxIndexBytes;
  bool have_policies = std::filesystem::exists(layout.policies_dir);
  if (!request.full && before.url == report.index_url && have_policies) {
    if (!before.etag.empty()) index_get.headers.push_back("If-None-Match: " + before.etag);
    if (!before.last_modified.empty()) {
      index_get.headers.push_back("If-Modified-Since: " + before.last_modified);
    }
  }
  auto index_response = connect(index_get);
  if (!index_response) return index_response.error();
  ++report.downloads;
  if (!index_response->ok) return connect_error(*index_response);
  if (get.verify_peer && index_response->anchor && !index_response->chain.empty()) {
    // For warnings before the central server's certificate expires, and so that rollover knows
    // what is in use: failing to record it must not stop a refresh, and the next one tries again.
    (void)record_verified_connection(layout, kCentralServerRole, address_of(*index_response),
                                     index_response->chain.front().info,
                                     index_response->anchor->sha256, std::time(nullptr));
  }
  if (index_response->http_status == 304) {
    report.not_modified = true;
    report.applied = std::move(*synced);  // the policies in force were applied just now
    return report;
  }
  if (index_response->http_status != 200) {
    return trust::make_error(
        trust::Code::kNetwork,
        report.index_url + ": HTTP " + std::to_string(index_response->http_status));
  }
  auto index = policy::parse_index(index_response->body, report.index_url);
  if (!index) return index.error();
  report.refused = index->refused;

  std::vector<Download> accepted;
  std::set<std::string> listed;
  std::vector<HeldBackPolicy> holds = load_held_back_policies(layout);
  auto hold_back = [&](const std::string& guid, int64_t revision, const HeldBackPolicy& h) {
    report.held_back.push_back("policy " + guid + " revision " + std::to_string(revision) +
                               " is held back: removed on this endpoint at revision " +
                               std::to_string(h.revision) +
                               " (trustagent policy remove); a higher revision ends the hold");
  };
  for (const auto& entry : index->entries) {
    listed.insert(entry.guid);
    if (const HeldBackPolicy* h = hold_on(holds, entry)) {
      hold_back(entry.guid, entry.revision, *h);
      continue;
    }
    std::string stored_path = layout.policies_dir + "/" + entry.guid + ".xml";
    std::optional<policy::Policy> stored;
    if (auto old = trust::read_source_file(stored_path, policy::kMaxPolicyBytes)) {
      if (trust::to_hex(trust::sha256_of(*old)) == entry.sha256) {
        report.unchanged.push_back(entry.guid);
        continue;
      }
      if (auto parsed = policy::parse_policy(*old, stored_path)) stored = *parsed;
    }
    ConnectRequest policy_get = get;
    policy_get.target = base + "/policies/" + entry.href;
    policy_get.max_body = policy::kMaxPolicyBytes;
    auto response = connect(policy_get);
    if (!response) return response.error();
    ++report.downloads;
    auto refuse = [&](const std::string& why) {
      report.refused.push_back(trust::make_error(
          trust::Code::kBadInput, "policy " + entry.guid + " (" + policy_get.target + "): " + why +
                                      (stored ? "; the stored copy stays in force" : "")));
    };
    if (!response->ok) {
      if (response->code != "network") return connect_error(*response);  // untrusted mid-way
      refuse(response->message);
      continue;
    }
    if (response->http_status != 200) {
      refuse("HTTP " + std::to_string(response->http_status));
      continue;
    }
    std::string actual = trust::to_hex(trust::sha256_of(response->body));
    if (actual != entry.sha256) {
      refuse("sha256 " + actual + " does not match the index's " + entry.sha256 +
             " (tampered or stale)");
      continue;
    }
    auto parsed = policy::parse_policy(response->body, policy_get.target);
    if (!parsed) {
      refuse(parsed.error().message);
      continue;
    }
    if (parsed->guid != entry.guid) {
      refuse("the document's guid is " + parsed->guid);
      continue;
    }
    policy::IndexEntry as_parsed = entry;
    as_parsed.revision = parsed->revision;  // the document's word, not only the index's
    if (const HeldBackPolicy* h = hold_on(holds, as_parsed)) {
      hold_back(entry.guid, parsed->revision, *h);
      continue;
    }
    if (stored && parsed->revision < stored->revision) {
      refuse("revision " + std::to_string(parsed->revision) + " is older than the stored " +
             std::to_string(stored->revision) + " (a replay from a stale cache or mirror?)");
      continue;
    }
    if (!pins_admit_central_server(*parsed, index_response->chain)) {
      refuse(
          "its SSLNSPublicHttpsCertFingerprint pins none of the certificates this central server "
          "presents (sha256 " +
          index_response->chain.front().info.sha256 +
          "); installing it would cut this endpoint off from the server that could correct it");
      continue;
    }
    accepted.push_back({entry, std::move(response->body), parsed->revision});
  }

  // Everything checked: now change the disk, under the lock, and apply in the same step.
  auto applied = sync_store(request.store, [&](const trust::Layout& l) -> trust::Result<void> {
    for (const auto& dir : {l.policies_dir, l.state_dir}) {
      if (auto made = trust::make_directories(dir); !made) return made;
    }
    for (const auto& d : accepted) {
      std::string path = l.policies_dir + "/" + d.entry.guid + ".xml";
      // Checked again under the lock: a refresh running at the same time may have installed a
      // newer revision since this one compared, and two refreshes must never go backwards.
      if (auto now = stored_revision(path); now && *now > d.revision) {
        report.refused.push_back(trust::make_error(
            trust::Code::kBadInput, "policy " + d.entry.guid + ": revision " +
                                        std::to_string(d.revision) + " is older than the stored " +
                                        std::to_string(*now) +
                                        ", installed meanwhile; the stored copy stays in force"));
        continue;
      }
      // And the holds again: a `policy remove` may have run while this refresh downloaded.
      auto released = release_hold(l, d.entry.guid, d.revision);
      if (!released) return released.error();
      if (!*released) {
        report.held_back.push_back("policy " + d.entry.guid + " revision " +
                                   std::to_string(d.revision) +
                                   " is held back: removed on this endpoint meanwhile");
        continue;
      }
      auto written = trust::write_file_atomic(path, d.content);
      if (!written) return written;
      report.installed.push_back(d.entry.guid);
    }
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(l.policies_dir, ec)) {
      std::string name = f.path().filename().string();
      if (name.size() <= 4 || name.substr(name.size() - 4) != ".xml") continue;
      std::string guid = name.substr(0, name.size() - 4);
      if (listed.count(guid)) continue;
      if (auto gone = trust::remove_file_durably(f.path().string()); !gone) return gone;
      report.removed.push_back(guid);
    }
    std::string state = "url\t" + report.index_url + "\netag\t" + index_response->etag +
                        "\nlast-modified\t" + index_response->last_modified + "\n";
    return trust::write_file_atomic(l.state_dir + "/refresh.state", state);
  });
  if (!applied) return applied.error();
  report.applied = std::move(*applied);
  return report;
}

}  // namespace

trust::Result<RefreshReport> refresh_policies(const RefreshRequest& request) {
  auto report = refresh_once(request);
  // A refresh that never asked anyone (no server known) is no failure of the central server.
  bool asked = report || report.error().code != trust::Code::kBadInput ||
               report.error().message.rfind("no central server", 0) != 0;
  if (asked) {
    record_refresh(trust::Layout::at(request.store.home), report.has_value(),
                   report ? "" : report.error().message, std::time(nullptr));
  }
  return report;
}

}  // namespace agent
