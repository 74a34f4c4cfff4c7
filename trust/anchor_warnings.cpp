#include "trust/anchor_warnings.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "trust/server_identity.h"
#include "trust/time_format.h"

namespace trust {
namespace {

std::string days_text(int64_t seconds) {
  int64_t days = seconds / kDay;
  return std::to_string(days) + (days == 1 || days == -1 ? " day" : " days");
}

bool mentions_sha1(std::string algorithm) {
  std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return algorithm.find("sha1") != std::string::npos;
}

// What the checks ask of every anchor, looked up once: a store of 100,000 anchors must not cost
// 100,000 scans of itself.
struct StoreFacts {
  std::unordered_map<std::string, const Reserve*> reserve_by_sha256;
  std::unordered_set<std::string> replaced_pins;  // "sha256:…" a reserve takes over
  std::unordered_set<std::string> subjects;       // to tell whether an issuer is here
  // The latest expiry of each server, by subject and by names (trust/server_identity.h).
  std::unordered_map<std::string, int64_t> latest_by_subject, latest_by_names;

  StoreFacts(const std::vector<Anchor>& anchors, const std::vector<Reserve>& reserves) {
    for (const auto& r : reserves) {
      reserve_by_sha256.emplace(r.sha256, &r);
      replaced_pins.insert(r.replaces.begin(), r.replaces.end());
    }
    for (const auto& a : anchors) {
      subjects.insert(a.info.subject);
      note_expiry(latest_by_subject, kind(a) + a.info.subject, a.info.not_after);
      if (auto names = server_names_key(a.info); !names.empty()) {
        note_expiry(latest_by_names, kind(a) + names, a.info.not_after);
      }
    }
  }

  const Reserve* reserve_for(const std::string& sha256) const {
    auto it = reserve_by_sha256.find(sha256);
    return it == reserve_by_sha256.end() ? nullptr : it->second;
  }

  // The maps' keys keep CAs and leaves apart, as same_server() does.
  static std::string kind(const Anchor& a) { return a.info.is_ca ? "ca\n" : "leaf\n"; }

  static void note_expiry(std::unordered_map<std::string, int64_t>& latest, const std::string& key,
                          int64_t not_after) {
    auto [it, inserted] = latest.emplace(key, not_after);
    if (!inserted) it->second = std::max(it->second, not_after);
  }

  // A reserve names it as replaced, or another anchor of the same server outlives it.
  bool has_successor(const Anchor& a) const {
    if (replaced_pins.count("sha256:" + a.info.sha256) > 0) return true;
    if (latest_by_subject.at(kind(a) + a.info.subject) > a.info.not_after) return true;
    auto names = server_names_key(a.info);
    return !names.empty() && latest_by_names.at(kind(a) + names) > a.info.not_after;
  }

  bool issuer_in_store(const Anchor& a) const { return subjects.count(a.info.issuer) > 0; }
};

bool only_in_system_bundle(const Anchor& a, const std::vector<std::string>& system_sources) {
  return !a.sources.empty() &&
         std::all_of(a.sources.begin(), a.sources.end(), [&](const std::string& s) {
           return std::find(system_sources.begin(), system_sources.end(), s) !=
                  system_sources.end();
         });
}

}  // namespace

bool is_agent_managed(const Anchor& anchor) {
  return std::any_of(anchor.sources.begin(), anchor.sources.end(), [](const std::string& s) {
    return s == "cainfo.pem" || s == "cainfo-ss.pem" || s == "cainfo-reserve.pem";
  });
}

namespace {

// Collects one anchor's warnings, each message starting with which anchor it is.
struct AnchorFindings {
  const Anchor& anchor;
  std::vector<AnchorWarning>& out;
  void warn(const char* code, const std::string& message, bool information = false) const {
    out.push_back(
        {code, anchor.info.sha256,
         "[" + std::to_string(anchor.index) + "] '" + anchor.info.subject + "' " + message,
         information});
  }
};

// Expiry, and whether a reserve will take over in time.
void check_lifetime(const AnchorFindings& f, const WarningContext& context,
                    const StoreFacts& facts) {
  const CertInfo& i = f.anchor.info;
  const int64_t now = context.now;
  const Reserve* reserve = facts.reserve_for(i.sha256);
  bool pending = reserve && reserve->pending(now);
  if (i.not_after <= now && only_in_system_bundle(f.anchor, context.system_sources)) {
    f.warn("system_anchor_expired",
           "expired on " + to_iso8601(i.not_after) +
               "; only the system bundle holds it, and it authenticates nothing",
           true);
  } else if (i.not_after <= now) {
    f.warn("anchor_expired",
           "expired on " + to_iso8601(i.not_after) + " (" + days_text(now - i.not_after) + " ago)");
  } else if (is_agent_managed(f.anchor) && !pending &&
             i.not_after - now <= kExpiryWarningDays * kDay && !facts.has_successor(f.anchor)) {
    f.warn("expires_soon_no_reserve",
           "expires on " + to_iso8601(i.not_after) + " (in " + days_text(i.not_after - now) +
               ") and no reserve is known: when the server switches, this endpoint loses it "
               "(trustagent reserve add, or publish a <ReserveCertificate>)");
  }
  const int64_t lead_needed = context.refresh_interval_seconds + context.refresh_jitter_seconds;
  if (pending && reserve->arrived_at != 0 &&
      reserve->activate_at - reserve->arrived_at < lead_needed) {
    f.warn("reserve_activation_too_soon",
           "is a reserve that arrived on " + to_iso8601(reserve->arrived_at) +
               " and activates on " + to_iso8601(reserve->activate_at) +
               ", less than one refresh interval plus jitter (" + std::to_string(lead_needed) +
               " s) later: endpoints that refresh on schedule may not have it in time");
  }
}

// The requirements every certificate of a store should meet (trust/thresholds.h).
void check_requirements(const AnchorFindings& f, const StoreFacts& facts) {
  const CertInfo& i = f.anchor.info;
  bool managed = is_agent_managed(f.anchor);
  if (managed && !i.self_signed && !facts.issuer_in_store(f.anchor)) {
    f.warn("partial_chain_anchor",
           "is not a root and its issuer '" + i.issuer +
               "' is not in the store: only clients that accept partial chains (curl, "
               "trustagent) trust servers through it; openssl verify, Python and Node do not "
               "(add the root: trustagent add ROOT.pem)");
  }
  if (!i.is_ca && i.not_after - i.not_before > kMaxServerValidityDays * kDay) {
    f.warn("validity_over_397_days", "is a server certificate issued for " +
                                         days_text(i.not_after - i.not_before) +
                                         " (the limit is 397)");
  }
  bool rsa_like = i.key_type == "RSA" || i.key_type == "RSA-PSS" || i.key_type == "DSA";
  if ((rsa_like && i.key_bits < kMinRsaBits) || (i.key_type == "EC" && i.key_bits < kMinEcBits)) {
    f.warn("weak_key", "has a " + std::to_string(i.key_bits) + "-bit " + i.key_type +
                           " key (at least RSA 2048 or EC 256 is required)");
  }
  if (mentions_sha1(i.signature_algorithm) && (managed || !i.self_signed)) {
    f.warn("sha1_signature", "is signed with " + i.signature_algorithm + " (SHA-2 is required)");
  }
}

}  // namespace

std::vector<AnchorWarning> anchor_warnings(const std::vector<Anchor>& anchors,
                                           const WarningContext& context) {
  const StoreFacts facts(anchors, context.reserves);
  std::vector<AnchorWarning> out;
  for (const auto& a : anchors) {
    AnchorFindings findings{a, out};
    check_lifetime(findings, context, facts);
    check_requirements(findings, facts);
  }
  return out;
}

}  // namespace trust
