#include "agent/status.h"

#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "agent/acknowledgements.h"
#include "agent/connector.h"
#include "agent/index_validators.h"
#include "agent/policy_signers.h"
#include "agent/refresh_record.h"
#include "agent/server_watch.h"
#include "trust/rollover.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/thresholds.h"
#include "trust/time_format.h"

namespace agent {
namespace {

// Whole days left, truncated: 0 within a day either side of expiry, -3 three days after it.
int64_t days_left(int64_t not_after, int64_t now) { return (not_after - now) / trust::kDay; }

// The refresh record's last attempt, in the shape of a daemon cycle.
nlohmann::json recorded_refresh(const RefreshRecord& r) {
  nlohmann::json out = {{"time", trust::to_iso8601(r.last_attempt)},
                        {"result", r.failing_since != 0 ? "error" : "ok"}};
  if (!r.last_error.empty()) out["message"] = r.last_error;
  return out;
}

// The last refresh, whichever command made it: the daemon's last cycle (status.json) or a later
// `policy refresh` (the refresh record).
nlohmann::json last_refresh_on_disk(const trust::Layout& layout) {
  RefreshRecord record = load_refresh_record(layout);
  if (auto text = trust::read_source_file(layout.status, 16 << 20)) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("cycle")) {
      const nlohmann::json& cycle = j["cycle"];
      auto at = cycle.is_object() && cycle.contains("time") && cycle["time"].is_string()
                    ? trust::from_iso8601(cycle["time"].get<std::string>())
                    : std::nullopt;
      if (record.last_attempt != 0 && at && record.last_attempt > *at) {
        return recorded_refresh(record);
      }
      return cycle;
    }
  }
  if (record.last_attempt != 0) return recorded_refresh(record);
  struct stat st {};
  if (::stat(layout.refresh_state.c_str(), &st) != 0) return nullptr;
  nlohmann::json out = {{"time", trust::to_iso8601(st.st_mtime)}, {"result", "ok"}};
  if (auto validators = load_index_validators(layout); !validators.empty()) {
    out["index"] = validators.begin()->first;
  }
  out["note"] = "when policies last changed (no daemon has recorded a cycle)";
  return out;
}

// A string member of a JSON object read from disk, "" for anything else (a damaged file must not
// throw).
std::string text_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

template <class T>
nlohmann::json setting(const policy::Setting<T>& s) {
  return {{"value", s.value}, {"from", s.from.empty() ? "default" : s.from}};
}

// Ways the store itself leaves servers unauthenticated: a CA source an administrator or a policy
// named that is missing or refused (its anchors are not in the store), and an empty store.
// The agent's own files may be missing (cainfo-ss.pem usually is); refused, they warn too.
std::vector<trust::AnchorWarning> cut_off_warnings(const trust::Layout& layout,
                                                   const trust::MergeReport& report, bool empty) {
  std::vector<trust::AnchorWarning> out;
  for (const auto& src : report.sources) {
    bool managed = src.path == layout.cainfo || src.path == layout.cainfo_ss ||
                   src.path == layout.cainfo_reserve;
    if (src.status == trust::SourceStatus::kRefused) {
      out.push_back({"source_refused", "",
                     src.display + " is refused (" + src.reason +
                         "): none of its certificates is an anchor"});
    } else if (src.status == trust::SourceStatus::kMissing && !managed) {
      out.push_back({"source_missing", "",
                     src.display + " is named as a CA source but does not exist: none of its "
                                   "certificates is an anchor"});
    }
  }
  if (empty) {
    out.push_back({"store_empty", "",
                   "the store holds no anchor, so no server can be authenticated: trust the "
                   "server's certificate with `trustagent fetch HOST --fingerprint FP`"});
  }
  return out;
}

// An endpoint that has stopped hearing from its central server, from the refresh record (the
// daemon's last cycle when there is none).
std::vector<trust::AnchorWarning> refresh_warnings(const trust::Layout& layout,
                                                   const StoreOutcome& synced,
                                                   const nlohmann::json& last_cycle, int64_t now) {
  std::vector<trust::AnchorWarning> out;
  RefreshRecord record = load_refresh_record(layout);
  std::string why = trust::printable_text(
      record.last_attempt != 0 ? record.last_error : text_field(last_cycle, "message"));
  bool failing = record.last_attempt != 0 ? record.failing_since != 0
                                          : text_field(last_cycle, "result") == "error";
  if (failing) {
    out.push_back({"central_server_failing", "",
                   "the last refresh failed, so policy and reserves are not being updated: " +
                       (why.empty() ? std::string("no reason recorded") : why)});
  }
  // Three intervals with their jitter, plus the record's own resolution: a healthy endpoint never
  // reaches it.
  int64_t limit = kRefreshIntervalsBeforeWarning * (synced.effective.refresh_interval.value +
                                                    synced.effective.refresh_jitter.value) +
                  kRecordResolutionSeconds;
  if (record.failing_since != 0 && now - record.failing_since > limit) {
    out.push_back({"central_server_unreachable_for_long", "",
                   "refreshes have failed since " + trust::to_iso8601(record.failing_since) +
                       ", more than " + std::to_string(kRefreshIntervalsBeforeWarning) +
                       " refresh intervals"});
  }
  for (const auto& p : record.not_installed) {
    std::string what = p.guid.empty() ? std::string("an entry of the policy index")
                                      : "policy " + trust::printable_text(p.guid) +
                                            (p.listed_revision != 0
                                                 ? " revision " + std::to_string(p.listed_revision)
                                                 : std::string(" (kept though unlisted)"));
    std::string in_force =
        p.in_force_revision ? "revision " + std::to_string(*p.in_force_revision) + " stays in force"
                            : "no revision of it is in force";
    out.push_back({"policy_not_installed", "",
                   what + ", listed by the central server, has not been installed since " +
                       trust::to_iso8601(p.since) + " (" + in_force +
                       "): " + trust::printable_text(p.reason)});
  }
  if (record.last_success != 0 && now - record.last_success > limit) {
    out.push_back({"refresh_too_old", "",
                   "the last successful refresh was on " + trust::to_iso8601(record.last_success) +
                       ", more than " + std::to_string(kRefreshIntervalsBeforeWarning) +
                       " refresh intervals ago: is the daemon running?"});
  }
  return out;
}

// What the anchors, the servers seen, the store's sources and the clock warn about.
std::vector<trust::AnchorWarning> store_warnings(const trust::Layout& layout,
                                                 const StoreOutcome& synced, const Status& s) {
  const auto& reserves = synced.rollover.reserves;
  std::vector<trust::Anchor> plain;
  for (const auto& a : s.anchors) plain.push_back(a.anchor);
  trust::WarningContext context{reserves,
                                synced.effective.refresh_interval.value,
                                synced.effective.refresh_jitter.value,
                                {},
                                s.now};
  if (synced.effective.use_system_store.value) {
    context.system_sources.push_back(X509_get_default_cert_file());
  }
  std::vector<trust::AnchorWarning> warnings = trust::anchor_warnings(plain, context);
  for (auto& w : seen_leaf_warnings(load_seen_leaves(layout), plain, reserves, s.now)) {
    warnings.push_back(std::move(w));
  }
  for (auto& w : cut_off_warnings(layout, synced.report, s.anchors.empty())) {
    warnings.push_back(std::move(w));
  }
  for (const auto& e : synced.policy_errors) {
    warnings.push_back({"policy_not_applied", "",
                        "a stored policy is not applied: " + trust::printable_text(e.message)});
  }
  if (synced.stale_because) {
    warnings.push_back({"store_not_updated", "",
                        "the store could not be brought up to date (" + *synced.stale_because +
                            "): sources may have changed since, removed anchors included"});
  }
  const trust::ClockRecord& clock = synced.rollover.clock;
  if (synced.rollover.paused) {
    warnings.push_back(
        {"clock_jump", "",
         "the wall clock was set " + std::string(clock.jump_seconds > 0 ? "forward" : "back") +
             " by " + std::to_string((std::abs(clock.jump_seconds) + 1800) / 3600) + " hours on " +
             trust::to_iso8601(clock.jump_at) + ": retirement and pruning are paused until " +
             trust::to_iso8601(trust::clock_pause_ends(clock)) + "; check the time source"});
  }
  return warnings;
}

// A setting in force that turns verification off: anyone on the path may then answer for a server.
std::vector<trust::AnchorWarning> verification_warnings(const policy::Effective& e) {
  std::vector<trust::AnchorWarning> out;
  if (!e.verify_peer.value) {
    out.push_back({"verification_off", "",
                   "SSLVerifyPeer is off (policy " + trust::printable_text(e.verify_peer.from) +
                       "): servers are not authenticated, so anyone on the network path can "
                       "answer for them; in legacy mode refreshes take no anchor changes"});
  }
  if (!e.verify_host.value) {
    out.push_back({"verification_off", "",
                   "SSLVerifyHost is off (policy " + trust::printable_text(e.verify_host.from) +
                       "): any certificate the store authenticates is accepted for any server"});
  }
  return out;
}

// While the central server is reached unauthenticated (signed mode, healing), what it presents
// now is central_server_unauthenticated's to name; the leaf it was last authenticated with is
// no longer what it presents, so server_not_switched about that leaf would not be true.
void drop_superseded_central_warnings(const trust::Layout& layout,
                                      std::vector<trust::AnchorWarning>& warnings) {
  bool unauthenticated = std::any_of(warnings.begin(), warnings.end(), [](const auto& w) {
    return w.code == "central_server_unauthenticated";
  });
  if (!unauthenticated) return;
  std::vector<SeenLeaf> leaves = load_seen_leaves(layout);
  std::vector<std::string> central;  // what the central server, by any role, was last seen with
  for (const auto& c : leaves) {
    if (c.role != ServerRole::kCentral) continue;
    for (const auto& leaf : leaves) {
      if (leaf.role == ServerRole::kCentral || same_server(leaf.server, c.server)) {
        central.push_back(leaf.sha256);
      }
    }
  }
  std::erase_if(warnings, [&](const trust::AnchorWarning& w) {
    return w.code == "server_not_switched" &&
           std::find(central.begin(), central.end(), w.sha256) != central.end();
  });
}

// The agent's server and where it was named: the configuration, a policy, or nowhere.
std::pair<std::string, std::string> server_in_use(const std::string& configured_server,
                                                  const policy::Effective& effective) {
  if (!configured_server.empty()) return {configured_server, "configuration"};
  const auto& policy_server = effective.server_url;
  if (!policy_server.value.empty()) return {policy_server.value, policy_server.from};
  return {"", "none"};
}

}  // namespace

trust::Result<Status> collect_status(const trust::Layout& layout, const StoreOutcome& synced,
                                     const std::optional<nlohmann::json>& cycle,
                                     const std::string& configured_server) {
  auto anchors = trust::load_anchors(layout);
  if (!anchors) return anchors.error();
  Status s;
  s.now = synced.now;
  const auto& reserves = synced.rollover.reserves;
  for (auto& a : *anchors) {
    std::string role = trust::role_of(a.info.sha256, reserves, s.now);
    int64_t left = days_left(a.info.not_after, s.now);
    s.anchors.push_back({std::move(a), std::move(role), left});
  }
  s.warnings = store_warnings(layout, synced, s);
  if (auto retired = trust::read_source_file(layout.retired)) {
    for (const auto& c : trust::read_certificates(*retired).certs) {
      if (auto cert = trust::Certificate::from_der(c.der)) s.retired.push_back(cert->info());
    }
  }
  s.last_refresh = cycle ? *cycle : last_refresh_on_disk(layout);
  std::tie(s.server, s.server_from) = server_in_use(configured_server, synced.effective);
  for (auto& w : refresh_warnings(layout, synced, s.last_refresh, s.now)) {
    s.warnings.push_back(std::move(w));
  }
  for (auto& w : signed_policy_warnings(layout, s.now)) s.warnings.push_back(std::move(w));
  drop_superseded_central_warnings(layout, s.warnings);
  for (auto& w : verification_warnings(synced.effective)) s.warnings.push_back(std::move(w));
  s.policy_signing = signed_policy_json(layout);
  std::vector<std::string> presented;
  for (const auto& leaf : load_seen_leaves(layout)) presented.push_back(leaf.sha256);
  apply_acknowledgements(load_acknowledgements(layout), s.warnings, presented);
  return s;
}

bool Status::needs_attention() const {
  return std::any_of(warnings.begin(), warnings.end(),
                     [](const trust::AnchorWarning& w) { return !w.information; });
}

namespace {

nlohmann::json policy_json(const Status& status, const StoreOutcome& synced) {
  const policy::Effective& e = synced.effective;
  nlohmann::json pins = nlohmann::json::array();
  for (const auto& p : e.pins.value) pins.push_back(p.text());
  nlohmann::json ca_files = nlohmann::json::array();
  for (const auto& f : e.ca_files) ca_files.push_back({{"path", f.path}, {"from", f.from}});
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& p : e.policies) {
    policies.push_back(
        {{"guid", p.guid}, {"name", p.name}, {"revision", p.revision}, {"priority", p.priority}});
  }
  nlohmann::json policy_errors = nlohmann::json::array();
  for (const auto& err : synced.policy_errors) policy_errors.push_back(err.message);
  return {{"verify_peer", setting(e.verify_peer)},
          {"verify_host", setting(e.verify_host)},
          {"use_system_store", setting(e.use_system_store)},
          {"pins", {{"value", pins}, {"from", e.pins.from.empty() ? "default" : e.pins.from}}},
          {"refresh_interval_seconds", setting(e.refresh_interval)},
          {"refresh_jitter_seconds", setting(e.refresh_jitter)},
          {"server", {{"value", status.server}, {"from", status.server_from}}},
          {"ca_files", ca_files},
          {"policies", policies},
          {"not_applied", policy_errors}};
}

nlohmann::json warnings_json(const std::vector<trust::AnchorWarning>& list) {
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& w : list) {
    warnings.push_back({{"code", w.code},
                        {"sha256", w.sha256},
                        {"message", w.message},
                        {"severity", w.information ? "information" : "warning"}});
  }
  return warnings;
}

}  // namespace

nlohmann::json status_json(const Status& status, const StoreOutcome& synced) {
  nlohmann::json anchors = nlohmann::json::array();
  for (const auto& a : status.anchors) {
    const auto& i = a.anchor.info;
    anchors.push_back({{"index", a.anchor.index},
                       {"role", a.role},
                       {"subject", i.subject},
                       {"sha256", i.sha256},
                       {"sources", a.anchor.sources},
                       {"not_after", trust::to_iso8601(i.not_after)},
                       {"days_left", a.days_left}});
  }
  nlohmann::json reserves = nlohmann::json::array();
  for (const auto& r : synced.rollover.reserves) {
    reserves.push_back({{"sha256", r.sha256},
                        {"activate_at", trust::to_iso8601(r.activate_at)},
                        {"status", r.pending(status.now) ? "pending" : "active"},
                        {"origin", r.origin.text()}});
  }
  nlohmann::json retired = nlohmann::json::array();
  for (const auto& r : status.retired) {
    retired.push_back({{"subject", r.subject},
                       {"sha256", r.sha256},
                       {"not_after", trust::to_iso8601(r.not_after)}});
  }
  return {{"time", trust::to_iso8601(status.now)},
          {"anchors", anchors},
          {"reserves", reserves},
          {"retired", retired},
          {"last_refresh", status.last_refresh},
          {"policy", policy_json(status, synced)},
          {"policy_signing", status.policy_signing},
          {"warnings", warnings_json(status.warnings)}};
}

}  // namespace agent
