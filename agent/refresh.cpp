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
#include "trust/safe_text.h"
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
  std::vector<std::string> servers;  // every base URL, the configured server first
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
  // Signed mode needs the accepted index's terms for a 304 to mean anything, and terms that have
  // not expired: an expired index must be fetched again, never confirmed by a 304. A 304 from a
  // server that is not authenticated means nothing at all.
  bool terms_usable = !run.signers || (run.last && run.last->index.expires > run.now);
  bool usable = !run.request.full && run.have_policies && terms_usable && run.get.verify_peer;
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
  // Verification off: whoever answers is not authenticated. Signed mode then tells it nothing.
  a.authenticated = run.get.verify_peer;
  if (run.signers && !a.authenticated) a.get = content_only(run.get);
  ConnectRequest index_get = a.get;
  index_get.target = a.url;
  index_get.max_body = policy::kMaxIndexBytes;
  if (a.authenticated) index_get.headers = conditional_headers(run, a.url);
  auto response = connect(index_get);
  if (!response) return response.error();
  ++report.downloads;
  if (run.signers && a.authenticated && authentication_failed(*response)) {
    a.get = content_only(run.get);
    a.authenticated = false;
    response = connect(content_only(index_get));
    if (!response) return response.error();
    ++report.downloads;
  }
  if (!response->ok()) return connect_error(*response);
  a.chain = std::move(response->chain);
  if (a.authenticated && response->anchor && !a.chain.empty()) {
    // For warnings before the central server's certificate expires, and so that rollover knows
    // what is in use: failing to record it must not stop a refresh, and the next one tries again.
    (void)record_verified_connection(run.layout, ServerRole::kCentral, address_of(*response),
                                     a.chain.front().info, response->anchor->sha256, run.now);
  }
  if (response->http_status == 304 && !index_get.headers.empty() && a.authenticated) {
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

// Legacy mode: why an index from a fallback server may not be applied, or "": it would take back
// what is in force (a stored policy it does not list, or lists at a lower revision). Only the
// configured server may remove a policy; a mirror serving yesterday's index must not.
std::string older_than_in_force(const RefreshRun& run, const IndexAnswer& a) {
  if (a.not_modified) return "";
  std::map<std::string, int64_t> listed;
  for (const auto& e : a.index.entries) listed[e.guid] = e.revision;
  std::error_code ec;
  // increment(ec): the range-for's operator++ throws on an I/O error, and the daemon must not.
  for (std::filesystem::directory_iterator it(run.layout.policies_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& f = *it;
    std::string name = f.path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".xml") continue;
    std::string guid = name.substr(0, name.size() - 4);
    auto revision = stored_revision(f.path().string());
    if (!revision) continue;
    auto listing = listed.find(guid);
    bool other_bytes = false;
    if (listing != listed.end() && listing->second == *revision) {
      auto bytes = trust::read_source_file(f.path().string(), policy::kMaxPolicyBytes);
      auto entry = std::find_if(a.index.entries.begin(), a.index.entries.end(),
                                [&](const policy::IndexEntry& e) { return e.guid == guid; });
      other_bytes = bytes && trust::to_hex(trust::sha256_of(*bytes)) != entry->sha256;
    }
    if (listing == listed.end() || listing->second < *revision || other_bytes) {
      return a.url +
             ": refused: this fallback server's index is older than the policies in "
             "force (policy " +
             guid + " revision " + std::to_string(*revision) +
             (listing == listed.end() ? " is not listed"
              : other_bytes           ? " is listed at the same revision with other content"
                            : " is listed at revision " + std::to_string(listing->second)) +
             "); in legacy mode only the configured server may take a policy back";
    }
  }
  return "";
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
    if (!run.signers && base != servers.front()) {
      if (std::string why = older_than_in_force(run, *a); !why.empty()) {
        report.servers_refused.push_back(trust::make_error(trust::Code::kRefused, why));
        continue;
      }
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

// Legacy mode, verification off: whoever is on the path answers. The only change taken from such
// an answer is verification turned back on; anything else (anchors, pins, servers, mirrors,
// intervals, a new policy, a higher revision with nothing new) could keep the endpoint in the
// answerer's hands, or hold the real fix back behind a revision floor.
bool only_turns_verification_on(const std::optional<policy::Policy>& stored,
                                const policy::Policy& next) {
  if (!stored) return false;
  policy::Policy before = *stored;
  bool turned_on = false;
  auto take = [&](std::optional<bool>& was, const std::optional<bool>& now) {
    if (was == std::optional(false) && now != std::optional(false)) {
      was = now;
      turned_on = true;
    }
  };
  take(before.verify_peer, next.verify_peer);
  take(before.verify_host, next.verify_host);
  before.revision = next.revision;
  before.name = next.name;
  before.file = next.file;
  return turned_on && before == next;
}

// Why downloaded policy bytes (whose hash matched the index) cannot be installed, or "".
std::string policy_refusal(const policy::IndexEntry& entry, const std::string& body,
                           const std::string& url, const std::optional<policy::Policy>& stored,
                           const IndexAnswer& from, std::optional<policy::Policy>& parsed_out) {
  auto parsed = policy::parse_policy(body, url);
  if (!parsed) return parsed.error().message;
  if (parsed->guid != entry.guid) return "the document's guid is " + parsed->guid;
  if (stored && parsed->revision < stored->revision) {
    return "revision " + std::to_string(parsed->revision) + " is older than the stored " +
           std::to_string(stored->revision) + " (a replay from a stale cache or mirror?)";
  }
  // Legacy mode: with verification off anyone on the path answers (signed mode: the signature
  // decides).
  if (!from.signed_terms && !from.authenticated && !only_turns_verification_on(stored, *parsed)) {
    return "it arrived from a server that was not authenticated (SSLVerifyPeer is off), and the "
           "only change taken so is verification turned back on: anything else is applied only "
           "from an authenticated central server";
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

// The bytes the index lists for `entry`: from the server whose index was taken, then from each
// other server (a mirror may hold what the first withholds; the hash decides, so any copy will
// do). nullopt with `why` saying what each server did.
trust::Result<std::optional<std::string>> listed_bytes(const RefreshRun& run,
                                                       const IndexAnswer& from,
                                                       const policy::IndexEntry& entry,
                                                       RefreshReport& report, std::string& why) {
  std::vector<std::string> bases = {from.base};
  for (const auto& s : run.servers) {
    if (s != from.base) bases.push_back(s);
  }
  for (const auto& base : bases) {
    ConnectRequest get = base == from.base ? from.get : run.get;
    if (base != from.base && !run.get.verify_peer) get = content_only(run.get);
    get.target = base + "/policies/" + entry.href;
    get.max_body = policy::kMaxPolicyBytes;
    auto response = connect(get);
    if (!response) return response.error();
    ++report.downloads;
    if (base != from.base && authentication_failed(*response)) {
      response = connect(content_only(get));  // the index's hash authenticates the bytes
      if (!response) return response.error();
      ++report.downloads;
    }
    std::string failure;
    if (!response->ok()) {
      failure = response->failure->message;
    } else if (response->http_status != 200) {
      failure = "HTTP " + std::to_string(response->http_status);
    } else if (std::string actual = trust::to_hex(trust::sha256_of(response->body));
               actual != entry.sha256) {
      failure = "sha256 " + actual + " does not match the index's " + entry.sha256 +
                " (tampered or stale)";
    } else {
      return std::optional<std::string>(std::move(response->body));
    }
    why += (why.empty() ? "" : "; ") + get.target + ": " + failure;
  }
  return std::optional<std::string>();
}

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
    std::string where = from.base + "/policies/" + entry.href;
    std::string why;
    auto bytes = listed_bytes(run, from, entry, report, why);
    if (!bytes) return bytes.error();
    std::optional<policy::Policy> parsed;
    if (*bytes) why = policy_refusal(entry, **bytes, where, stored, from, parsed);
    if (why.empty()) {
      policy::IndexEntry as_parsed = entry;
      as_parsed.revision = parsed->revision;  // the document's word, not only the index's
      if (const HeldBackPolicy* h = hold_on(holds, as_parsed)) {
        hold_back(entry.guid, parsed->revision, *h);
        continue;
      }
      out.accepted.push_back({entry, std::move(**bytes), parsed->revision});
      continue;
    }
    report.refused.push_back(trust::make_error(
        trust::Code::kBadInput, "policy " + entry.guid + " (" + where + "): " + why +
                                    (stored ? "; the stored copy stays in force" : "")));
    report.not_installed.push_back({entry.guid, entry.revision,
                                    stored ? std::optional(stored->revision) : std::nullopt,
                                    trust::printable_text(why), 0});
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
  for (std::filesystem::directory_iterator it(l.policies_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& f = *it;
    std::string name = f.path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".xml") continue;
    std::string guid = name.substr(0, name.size() - 4);
    if (listed.count(guid)) continue;
    if (auto gone = trust::remove_file_durably(f.path().string()); !gone) return gone;
    report.removed.push_back(guid);
  }
  return {};
}

// Legacy mode, verification off: an index that leaves a policy out does not remove it (removing a
// CA file or a pin changes anchors as surely as adding one); the refresh fails until an
// authenticated server says so.
void keep_unlisted(const trust::Layout& l, const std::set<std::string>& listed,
                   RefreshReport& report) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(l.policies_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".xml") continue;
    std::string guid = name.substr(0, name.size() - 4);
    if (listed.count(guid)) continue;
    std::string why =
        "unlisted by a server that was not authenticated (SSLVerifyPeer is off): "
        "kept until an authenticated central server leaves it out";
    report.refused.push_back(
        trust::make_error(trust::Code::kBadInput, "policy " + guid + ": not removed: " + why));
    report.not_installed.push_back({guid, 0, stored_revision(it->path().string()), why, 0});
  }
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
    // A server that was not authenticated could have made its validators up.
    if (same && a.authenticated) out[a.url] = a.validators;
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
  for (const auto& e : taken.index.refused) {
    report.not_installed.push_back({"", 0, std::nullopt, trust::printable_text(e.message), 0});
  }
  report.index_url = taken.url;
  // Signed mode's heal: content taken by signature from a server the store does not trust. (In
  // legacy mode an unauthenticated answer is verification turned off: status says so.)
  if (taken.signed_terms && !taken.authenticated && !taken.chain.empty()) {
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

// Readiness (agent/readiness.h) reads what an endpoint holds from its requests' User-Agent, which
// was built before this refresh changed anything. When it did change what is held, one more
// conditional GET of the index (a 304, with the validators just received) says so now rather
// than an interval later. Only to an authenticated server: it identifies the endpoint.
void tell_what_is_held_now(const RefreshRun& run, const IndexAnswer& taken, RefreshReport& report) {
  std::string now_held = user_agent(endpoint_id(run.layout), report.applied.effective.policies,
                                    report.applied.rollover.reserves);
  if (!taken.authenticated || taken.not_modified || now_held == run.get.user_agent) return;
  ConnectRequest get = taken.get;
  get.target = taken.url;
  get.user_agent = now_held;
  get.keep_body = false;
  if (!taken.validators.etag.empty()) get.headers = {"If-None-Match: " + taken.validators.etag};
  if (connect(get)) ++report.downloads;  // its answer changes nothing here
}

trust::Result<RefreshRun> start_run(const RefreshRequest& request, const StoreOutcome& synced) {
  int64_t now = request.store.clock->now();
  RefreshRun run{request, trust::Layout::at(request.store.home), now, {}, {}, {}, {}, false, {}};
  auto signers = load_policy_signers(run.layout);
  if (!signers) return signers.error();
  run.signers = std::move(*signers);
  if (run.signers) {
    auto last = load_index_record(run.layout);
    if (!last) return last.error();
    run.last = std::move(*last);
  }
  run.validators = load_index_validators(run.layout);
  std::error_code ec;
  run.have_policies = std::filesystem::exists(run.layout.policies_dir, ec);
  const policy::Effective& effective = synced.effective;
  run.get.layout = run.layout;
  run.get.verify_peer = effective.verify_peer.value;
  run.get.verify_host = effective.verify_host.value;
  run.get.pins = effective.pins.value;
  run.get.timeout_seconds = request.timeout_seconds;
  run.get.stop_requested = request.stop_requested;
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
  run->servers = servers;
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
  // A merge that fails after the policies were written puts them back too, as it says it does.
  StoreRequest store = request.store;
  for (const auto& d : downloads.accepted)
    store.also_undo.push_back(run->layout.policy_file(d.entry.guid));
  std::error_code ec;
  for (std::filesystem::directory_iterator it(run->layout.policies_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    store.also_undo.push_back(it->path().string());
  }
  auto applied = sync_store(store, [&](const trust::Layout& l) -> trust::Result<void> {
    for (const auto& dir : {l.policies_dir, l.state_dir}) {
      if (auto made = trust::make_directories(dir); !made) return made;
    }
    if (!taken.not_modified) {
      for (const auto& d : downloads.accepted) {
        if (auto done = install_policy(l, d, report); !done) return done;
      }
      if (taken.authenticated || taken.signed_terms) {
        if (auto done = remove_unlisted(l, downloads.listed, report); !done) return done;
      } else {
        keep_unlisted(l, downloads.listed, report);
      }
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
  tell_what_is_held_now(*run, taken, report);
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
  // A refresh cut short by the agent stopping says nothing about the central server.
  bool stopped = request.stop_requested && request.stop_requested();
  if (asked && !stopped) {
    trust::Layout layout = trust::Layout::at(request.store.home);
    int64_t now = request.store.clock->now();
    if (!report) {
      record_refresh(layout, false, report.error().message, now);
    } else {
      bool complete = report->not_installed.empty();
      record_refresh(layout, complete, complete ? "" : not_installed_summary(report->not_installed),
                     now, report->not_installed);
    }
  }
  return report;
}

}  // namespace agent
