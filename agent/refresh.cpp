#include "agent/refresh.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "agent/connector.h"
#include "agent/endpoint_identity.h"
#include "agent/index_validators.h"
#include "agent/policy_removal.h"
#include "agent/policy_signers.h"
#include "agent/refresh_record.h"
#include "agent/server_watch.h"
#include "policy/index.h"
#include "policy/policy.h"
#include "trust/atomic_file.h"
#include "trust/certificate.h"
#include "trust/cms_signature.h"
#include "trust/fingerprint.h"
#include "trust/pin.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

std::string base_url(std::string server) {
  if (server.find("://") == std::string::npos) server = "https://" + server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

// What the central server presented goes with a refusal: the fingerprint a person checks and the
// command that trusts it, so an endpoint cut off by a certificate switch says how to heal.
trust::Error connect_error(const ConnectOutcome& out) {
  std::string hint = how_to_trust(out);
  trust::Error e = *out.failure;
  e.message = out.url + ": " + e.message + (hint.empty() ? "" : "; " + hint);
  return e;
}

// The server answered, but the store did not authenticate it (as opposed to not answering).
bool authentication_failed(const ConnectOutcome& out) {
  return !out.ok() && out.reason() != trust::Reason::kNetwork &&
         out.reason() != trust::Reason::kTlsError;
}

// A request whose answer is trusted for its signed content alone: nothing about this endpoint
// (its id, its policies, the validators of what it holds) goes to a server the store did not
// authenticate, and such a server cannot answer "not modified".
ConnectRequest content_only(ConnectRequest get) {
  get.verify_peer = false;
  get.verify_host = false;
  get.pins.clear();
  get.user_agent.clear();
  get.headers.clear();  // no conditional GET: its validators would tell what this endpoint holds
  return get;
}

struct Download {
  policy::IndexEntry entry;
  std::string content;
  decltype(policy::Policy::revision) revision{};
};

// The revision of the policy stored at `path`, if one is there and parses.
std::optional<decltype(policy::Policy::revision)> stored_revision(const std::string& path) {
  auto old = trust::read_source_file(path, policy::kMaxPolicyBytes);
  if (!old) return std::nullopt;
  auto parsed = policy::parse_policy(*old, path);
  if (!parsed) return std::nullopt;
  return parsed->revision;
}

// What one refresh shares between its steps.
struct RefreshRun {
  const RefreshRequest& request;
  trust::Layout layout;
  int64_t now = 0;
  ConnectRequest get;  // the authenticated request every server is asked with first
  std::optional<std::vector<trust::Certificate>> signers;  // nullopt: legacy mode
  std::optional<IndexRecord> last;
  std::map<std::string, IndexValidators> validators;
  bool have_policies = false;
};

// One server's answer to the index request.
struct IndexAnswer {
  std::string url;
  std::string base;
  ConnectRequest get;  // how to ask this server for more: authenticated, or content only
  bool authenticated = true;
  std::vector<PresentedCert> chain;
  bool not_modified = false;
  IndexValidators validators;
  std::string body;
  policy::ParsedIndex index;
  std::optional<policy::AcceptedIndex> signed_terms;
};

std::vector<std::string> servers_to_ask(const RefreshRequest& request,
                                        const policy::Effective& effective) {
  std::vector<std::string> all;
  all.push_back(request.server.empty() ? effective.server_url.value : request.server);
  all.insert(all.end(), request.mirrors.begin(), request.mirrors.end());
  all.insert(all.end(), effective.mirrors.value.begin(), effective.mirrors.value.end());
  std::vector<std::string> out;
  for (const auto& s : all) {
    if (s.empty()) continue;
    std::string base = base_url(s);
    if (std::find(out.begin(), out.end(), base) == out.end()) out.push_back(base);
  }
  return out;
}

std::vector<std::string> conditional_headers(const RefreshRun& run, const std::string& url) {
  // Signed mode needs the accepted index's terms for a 304 to mean anything.
  bool usable = !run.request.full && run.have_policies && (!run.signers || run.last);
  auto v = run.validators.find(url);
  if (!usable || v == run.validators.end()) return {};
  std::vector<std::string> headers;
  if (!v->second.etag.empty()) headers.push_back("If-None-Match: " + v->second.etag);
  if (!v->second.last_modified.empty()) {
    headers.push_back("If-Modified-Since: " + v->second.last_modified);
  }
  return headers;
}

// The signature beside the index, and the index checked against it.
trust::Result<void> check_signature(const RefreshRun& run, IndexAnswer& a, RefreshReport& report) {
  ConnectRequest sig_get = a.get;
  sig_get.target = a.url + ".sig";
  sig_get.max_body = trust::kMaxSignatureBytes;
  auto sig = connect(sig_get);
  if (!sig) return sig.error();
  ++report.downloads;
  if (!sig->ok()) return connect_error(*sig);
  std::optional<std::string_view> signature;
  if (sig->http_status == 200) {
    signature = sig->body;
  } else if (sig->http_status != 404 && sig->http_status != 410) {
    return trust::make_error(trust::Code::kNetwork,
                             sig_get.target + ": HTTP " + std::to_string(sig->http_status));
  }
  auto checked = policy::verify_signed_index(
      a.body, signature, *run.signers, run.last ? std::optional(run.last->index) : std::nullopt,
      run.now, a.url);
  if (!checked) return checked.error();
  a.index = std::move(checked->index);
  a.signed_terms = checked->accepted;
  return {};
}

trust::Result<IndexAnswer> ask_for_index(const RefreshRun& run, const std::string& base,
                                         RefreshReport& report) {
  IndexAnswer a;
  a.url = base + "/policies/index.xml";
  a.base = base;
  a.get = run.get;
  ConnectRequest index_get = run.get;
  index_get.target = a.url;
  index_get.max_body = policy::kMaxIndexBytes;
  index_get.headers = conditional_headers(run, a.url);
  auto response = connect(index_get);
  if (!response) return response.error();
  ++report.downloads;
  if (run.signers && authentication_failed(*response)) {
    a.get = content_only(run.get);
    a.authenticated = false;
    response = connect(content_only(index_get));
    if (!response) return response.error();
    ++report.downloads;
  }
  if (!response->ok()) return connect_error(*response);
  a.chain = std::move(response->chain);
  if (a.authenticated && run.get.verify_peer && response->anchor && !a.chain.empty()) {
    // For warnings before the central server's certificate expires, and so that rollover knows
    // what is in use: failing to record it must not stop a refresh, and the next one tries again.
    (void)record_verified_connection(run.layout, ServerRole::kCentral, address_of(*response),
                                     a.chain.front().info, response->anchor->sha256, run.now);
  }
  if (response->http_status == 304 && !index_get.headers.empty()) {
    a.not_modified = true;
    a.validators = run.validators.at(a.url);
    if (run.signers) a.signed_terms = run.last->index;
    return a;
  }
  if (response->http_status != 200) {
    return trust::make_error(trust::Code::kNetwork,
                             a.url + ": HTTP " + std::to_string(response->http_status));
  }
  a.validators = {response->etag, response->last_modified};
  a.body = std::move(response->body);
  if (run.signers) {
    if (auto checked = check_signature(run, a, report); !checked) return checked.error();
    return a;
  }
  auto index = policy::parse_index(a.body, a.url);
  if (!index) return index.error();
  a.index = std::move(*index);
  return a;
}

// Legacy mode: the first server that answers. Signed mode: the highest valid serial.
trust::Result<std::vector<IndexAnswer>> ask_servers(const RefreshRun& run,
                                                    const std::vector<std::string>& servers,
                                                    RefreshReport& report) {
  std::vector<IndexAnswer> answers;
  for (const auto& base : servers) {
    auto a = ask_for_index(run, base, report);
    if (!a) {
      report.servers_refused.push_back(a.error());
      continue;
    }
    answers.push_back(std::move(*a));
    if (!run.signers) break;
  }
  if (answers.empty()) {
    trust::Error first = report.servers_refused.front();
    for (size_t i = 1; i < report.servers_refused.size(); ++i) {
      first.message += "; and " + report.servers_refused[i].message;
    }
    report.servers_refused.clear();
    return first;
  }
  std::stable_sort(answers.begin(), answers.end(), [](const IndexAnswer& x, const IndexAnswer& y) {
    return x.signed_terms && y.signed_terms && x.signed_terms->serial > y.signed_terms->serial;
  });
  return answers;
}

// Why a downloaded policy cannot be installed, or "" when it can.
std::string policy_refusal(const policy::IndexEntry& entry, const ConnectOutcome& response,
                           const std::optional<policy::Policy>& stored, const IndexAnswer& from,
                           std::optional<policy::Policy>& parsed_out) {
  if (response.http_status != 200) return "HTTP " + std::to_string(response.http_status);
  std::string actual = trust::to_hex(trust::sha256_of(response.body));
  if (actual != entry.sha256) {
    return "sha256 " + actual + " does not match the index's " + entry.sha256 +
           " (tampered or stale)";
  }
  auto parsed = policy::parse_policy(response.body, response.url);
  if (!parsed) return parsed.error().message;
  if (parsed->guid != entry.guid) return "the document's guid is " + parsed->guid;
  if (stored && parsed->revision < stored->revision) {
    return "revision " + std::to_string(parsed->revision) + " is older than the stored " +
           std::to_string(stored->revision) + " (a replay from a stale cache or mirror?)";
  }
  // Legacy mode only: there a policy whose pins the central server fails would cut the endpoint
  // off from every correction. Signed policy still arrives from such a server (content only), and
  // which server carried the bytes (a mirror has its own certificate) must not decide.
  if (!from.signed_terms && !pins_admit_central_server(*parsed, from.chain)) {
    return "its SSLNSPublicHttpsCertFingerprint pins none of the certificates this central "
           "server presents (sha256 " +
           from.chain.front().info.sha256 +
           "); installing it would cut this endpoint off from the server that could correct it";
  }
  parsed_out = std::move(*parsed);
  return "";
}

struct Downloads {
  std::vector<Download> accepted;
  std::set<std::string> listed;
};

trust::Result<Downloads> download_policies(const RefreshRun& run, const IndexAnswer& from,
                                           RefreshReport& report) {
  Downloads out;
  std::vector<HeldBackPolicy> holds = load_held_back_policies(run.layout);
  auto hold_back = [&](const std::string& guid, int64_t revision, const HeldBackPolicy& h) {
    report.held_back.push_back("policy " + guid + " revision " + std::to_string(revision) +
                               " is held back: removed on this endpoint at revision " +
                               std::to_string(h.revision) +
                               " (trustagent policy remove); a higher revision ends the hold");
  };
  for (const auto& entry : from.index.entries) {
    out.listed.insert(entry.guid);
    if (const HeldBackPolicy* h = hold_on(holds, entry)) {
      hold_back(entry.guid, entry.revision, *h);
      continue;
    }
    std::string stored_path = run.layout.policy_file(entry.guid);
    std::optional<policy::Policy> stored;
    if (auto old = trust::read_source_file(stored_path, policy::kMaxPolicyBytes)) {
      if (trust::to_hex(trust::sha256_of(*old)) == entry.sha256) {
        report.unchanged.push_back(entry.guid);
        continue;
      }
      if (auto parsed = policy::parse_policy(*old, stored_path)) stored = *parsed;
    }
    ConnectRequest policy_get = from.get;
    policy_get.target = from.base + "/policies/" + entry.href;
    policy_get.max_body = policy::kMaxPolicyBytes;
    auto response = connect(policy_get);
    if (!response) return response.error();
    ++report.downloads;
    if (!response->ok() && response->reason() != trust::Reason::kNetwork) {
      return connect_error(*response);
    }
    std::optional<policy::Policy> parsed;
    std::string why = response->ok() ? policy_refusal(entry, *response, stored, from, parsed)
                                     : response->failure->message;
    if (why.empty()) {
      policy::IndexEntry as_parsed = entry;
      as_parsed.revision = parsed->revision;  // the document's word, not only the index's
      if (const HeldBackPolicy* h = hold_on(holds, as_parsed)) {
        hold_back(entry.guid, parsed->revision, *h);
        continue;
      }
      out.accepted.push_back({entry, std::move(response->body), parsed->revision});
      continue;
    }
    report.refused.push_back(trust::make_error(
        trust::Code::kBadInput, "policy " + entry.guid + " (" + policy_get.target + "): " + why +
                                    (stored ? "; the stored copy stays in force" : "")));
  }
  return out;
}

// Installs what was downloaded, under the lock: `d` is checked again, because a refresh running
// at the same time may have installed a newer revision, and `policy remove` may have run.
trust::Result<void> install_policy(const trust::Layout& l, const Download& d,
                                   RefreshReport& report) {
  std::string path = l.policy_file(d.entry.guid);
  if (auto now = stored_revision(path); now && *now > d.revision) {
    report.refused.push_back(trust::make_error(
        trust::Code::kBadInput, "policy " + d.entry.guid + ": revision " +
                                    std::to_string(d.revision) + " is older than the stored " +
                                    std::to_string(*now) +
                                    ", installed meanwhile; the stored copy stays in force"));
    return {};
  }
  auto released = release_hold(l, d.entry.guid, d.revision);
  if (!released) return released.error();
  if (!*released) {
    report.held_back.push_back("policy " + d.entry.guid + " revision " +
                               std::to_string(d.revision) +
                               " is held back: removed on this endpoint meanwhile");
    return {};
  }
  if (auto written = trust::write_file_atomic(path, d.content); !written) return written;
  report.installed.push_back(d.entry.guid);
  return {};
}

trust::Result<void> remove_unlisted(const trust::Layout& l, const std::set<std::string>& listed,
                                    RefreshReport& report) {
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(l.policies_dir, ec)) {
    std::string name = f.path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".xml") continue;
    std::string guid = name.substr(0, name.size() - 4);
    if (listed.count(guid)) continue;
    if (auto gone = trust::remove_file_durably(f.path().string()); !gone) return gone;
    report.removed.push_back(guid);
  }
  return {};
}

IndexRecord record_of(const RefreshRun& run, const IndexAnswer& taken) {
  IndexRecord r;
  r.index = *taken.signed_terms;
  r.from = taken.url;
  r.accepted_at =
      run.last && run.last->index.sha256 == r.index.sha256 ? run.last->accepted_at : run.now;
  if (!taken.authenticated && !taken.chain.empty()) {
    r.unverified_sha256 = taken.chain.front().info.sha256;
    r.unverified_subject = taken.chain.front().info.subject;
  }
  return r;
}

// Validators are kept for every server whose answer was the index taken, so each of them can
// answer 304 next time.
std::map<std::string, IndexValidators> validators_after(const std::vector<IndexAnswer>& answers) {
  std::map<std::string, IndexValidators> out;
  const IndexAnswer& taken = answers.front();
  for (const auto& a : answers) {
    bool same = &a == &taken || (a.signed_terms && taken.signed_terms &&
                                 a.signed_terms->sha256 == taken.signed_terms->sha256);
    if (same) out[a.url] = a.validators;
  }
  return out;
}

// Signed-mode records after the index taken: what was accepted, how, and the signers it brings.
trust::Result<void> record_signed_index(const RefreshRun& run, const trust::Layout& l,
                                        const IndexAnswer& taken, RefreshReport& report) {
  if (!taken.signed_terms) return {};
  // Only a newer index rotates: the same one fetched again (--full) must not undo a signer
  // trusted here since.
  bool newer = !run.last || taken.signed_terms->serial > run.last->index.serial;
  if (!taken.not_modified && newer && !taken.index.header.signers.empty()) {
    if (auto rotated = replace_policy_signers(l, taken.index.header.signers); !rotated) {
      return rotated;
    }
    report.signers_rotated = true;
  }
  return save_index_record(l, record_of(run, taken));
}

void describe_taken(const IndexAnswer& taken, RefreshReport& report) {
  report.from = taken.url;
  report.signed_index = taken.signed_terms;
  report.refused = taken.index.refused;  // entries the index itself got wrong
  if (!taken.authenticated && !taken.chain.empty()) {
    report.unauthenticated_sha256 = taken.chain.front().info.sha256;
    report.unauthenticated_subject = taken.chain.front().info.subject;
  }
}

bool record_changes(const RefreshRun& run, const IndexAnswer& taken) {
  if (!taken.signed_terms) return false;
  if (!run.last) return true;
  IndexRecord next = record_of(run, taken);
  return next.from != run.last->from || next.unverified_sha256 != run.last->unverified_sha256;
}

trust::Result<RefreshRun> start_run(const RefreshRequest& request, const StoreOutcome& synced) {
  int64_t now = request.store.clock->now();
  RefreshRun run{request, trust::Layout::at(request.store.home), now, {}, {}, {}, {}, false};
  auto signers = load_policy_signers(run.layout);
  if (!signers) return signers.error();
  run.signers = std::move(*signers);
  if (run.signers) {
    auto last = load_index_record(run.layout);
    if (!last) return last.error();
    run.last = std::move(*last);
  }
  run.validators = load_index_validators(run.layout);
  run.have_policies = std::filesystem::exists(run.layout.policies_dir);
  const policy::Effective& effective = synced.effective;
  run.get.layout = run.layout;
  run.get.verify_peer = effective.verify_peer.value;
  run.get.verify_host = effective.verify_host.value;
  run.get.pins = effective.pins.value;
  run.get.timeout_seconds = request.timeout_seconds;
  run.get.keep_body = true;
  run.get.user_agent =
      user_agent(endpoint_id(run.layout), effective.policies, synced.rollover.reserves);
  return run;
}

trust::Result<RefreshReport> refresh_once(const RefreshRequest& request,
                                          const StoreOutcome* in_force) {
  trust::Result<StoreOutcome> synced =
      in_force != nullptr ? trust::Result<StoreOutcome>(*in_force) : sync_store(request.store);
  if (!synced) return synced.error();
  std::vector<std::string> servers = servers_to_ask(request, synced->effective);
  if (servers.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "no central server: pass --server URL, set 'server' in the config, or "
                             "have a policy name one in <Server>");
  }
  auto run = start_run(request, *synced);
  if (!run) return run.error();
  RefreshReport report;
  report.index_url = servers.front() + "/policies/index.xml";
  if (!run->get.verify_peer) report.unverified_by = synced->effective.verify_peer.from;
  auto answers = ask_servers(*run, servers, report);
  if (!answers) return answers.error();
  const IndexAnswer& taken = answers->front();
  describe_taken(taken, report);
  if (taken.not_modified) {
    report.not_modified = true;
    if (!record_changes(*run, taken)) {
      report.applied = std::move(*synced);  // the policies in force were applied just now
      return report;
    }
  }
  Downloads downloads;
  if (!taken.not_modified) {
    auto got = download_policies(*run, taken, report);
    if (!got) return got.error();
    downloads = std::move(*got);
  }

  // Everything checked: now change the disk, under the lock, and apply in the same step.
  auto applied = sync_store(request.store, [&](const trust::Layout& l) -> trust::Result<void> {
    for (const auto& dir : {l.policies_dir, l.state_dir}) {
      if (auto made = trust::make_directories(dir); !made) return made;
    }
    if (!taken.not_modified) {
      for (const auto& d : downloads.accepted) {
        if (auto done = install_policy(l, d, report); !done) return done;
      }
      if (auto done = remove_unlisted(l, downloads.listed, report); !done) return done;
      auto validators = validators_after(*answers);
      // A policy that failed must be asked for again: no 304 may hide it next time.
      if (!report.refused.empty()) validators.clear();
      if (auto done = save_index_validators(l, validators); !done) return done;
    }
    return record_signed_index(*run, l, taken, report);
  });
  if (!applied) return applied.error();
  report.applied = std::move(*applied);
  report.synced_again = true;
  return report;
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

std::string unauthenticated_transport_note(const RefreshReport& report) {
  if (report.unauthenticated_sha256.empty()) return "";
  std::string signer = report.signed_index ? report.signed_index->signer_subject : "?";
  return report.from + " presents " + report.unauthenticated_subject + " sha256 " +
         report.unauthenticated_sha256 +
         ", which the store does not authenticate: its policies were accepted by their signature "
         "(signer " +
         signer +
         ") and nothing else was sent to it; connections to it stay refused until the store "
         "trusts its certificate (a policy publishing it as a reserve does)";
}

trust::Result<RefreshReport> refresh_policies(const RefreshRequest& request,
                                              const StoreOutcome* in_force) {
  auto report = refresh_once(request, in_force);
  // A refresh that never asked anyone (no server known) is no failure of the central server.
  bool asked = report || report.error().code != trust::Code::kBadInput ||
               report.error().message.rfind("no central server", 0) != 0;
  if (asked) {
    record_refresh(trust::Layout::at(request.store.home), report.has_value(),
                   report ? "" : report.error().message, request.store.clock->now());
  }
  return report;
}

}  // namespace agent
