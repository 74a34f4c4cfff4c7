#include "trust/rollover.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "trust/cert_cache.h"
#include "trust/managed_source.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace trust {
namespace {

// A certificate in one agent-managed source. Its metadata comes from the merge's metadata cache
// when the cache has it; the certificate itself is decoded only when its names or pins are asked
// for, because decoding is what costs (OpenSSL 3 decodes the public key of every certificate, about
// a millisecond for an RSA-4096 root), and a system bundle in cainfo.pem holds 140 of them.
class Held {
 public:
  Held(std::string file, std::string der, CertInfo info)
      : file(std::move(file)), der(std::move(der)), info(std::move(info)) {}
  Held(std::string file, const Certificate& cert)
      : file(std::move(file)), der(cert.der()), info(cert.info()) {
    decoded_ = decode(cert);
  }

  const std::vector<std::string>& names() const { return decoded().names; }
  const std::vector<Pin>& pins() const { return decoded().pins; }

  std::string file;
  std::string der;
  CertInfo info;

 private:
  struct Decoded {
    std::vector<std::string> names;
    std::vector<Pin> pins;
  };
  static std::shared_ptr<const Decoded> decode(const Certificate& cert) {
    return std::make_shared<const Decoded>(
        Decoded{host_names(*cert.x509_ptr()), pins_of(*cert.x509_ptr())});
  }
  const Decoded& decoded() const {
    if (!decoded_) {
      auto cert = Certificate::from_der(der);
      decoded_ = cert ? decode(*cert) : std::make_shared<const Decoded>();
    }
    return *decoded_;
  }
  mutable std::shared_ptr<const Decoded> decoded_;
};

// Unreadable or refused files are left to the merge to report; rollover just does not use them.
// A cache entry vouches that its DER is well-formed; any other certificate is decoded here, which
// is the check, and its metadata is added to `cache` for the rest of this run (never saved from
// here).
std::vector<Held> read_held(const std::vector<std::string>& files, CertCache& cache) {
  std::vector<Held> out;
  for (const auto& file : files) {
    if (probe_source(file).presence != SourceProbe::Presence::kPresent) continue;
    auto content = read_source_file(file);
    if (!content) continue;
    for (auto& raw : split_certificates(*content).certs) {
      if (const CertInfo* known = cache.find(raw.sha256)) {
        out.emplace_back(file, std::move(raw.der), *known);
        continue;
      }
      auto cert = Certificate::from_der(std::move(raw.der));
      if (!cert) continue;
      out.emplace_back(file, *cert);
      cache.insert(raw.sha256, out.back().info);
    }
  }
  return out;
}

bool same_server(const Held& a, const Held& b) {
  if (a.info.subject == b.info.subject) return true;
  // `a`'s names first: a root has no DNS or IP name, and then `b` need not be decoded at all.
  bool a_has_names = std::any_of(a.names().begin(), a.names().end(),
                                 [](const std::string& n) { return n.rfind("CN=", 0) != 0; });
  if (!a_has_names) return false;
  for (const auto& name : a.names()) {
    if (name.rfind("CN=", 0) == 0) continue;
    if (std::find(b.names().begin(), b.names().end(), name) != b.names().end()) return true;
  }
  return false;
}

const Held* find_sha(const std::vector<Held>& held, const std::string& sha256) {
  for (const auto& h : held) {
    if (h.info.sha256 == sha256) return &h;
  }
  return nullptr;
}

Reserve* find_record(ReserveState& state, const std::string& sha256) {
  for (auto& r : state.reserves) {
    if (r.sha256 == sha256) return &r;
  }
  return nullptr;
}

// The record a new reserve gets: what it replaces among the current certificates, and when it
// activates if nobody said.
Reserve record_for(const Held& reserve, const std::vector<Held>& current,
                   std::optional<int64_t> activate_at, const std::string& origin, int64_t now) {
  Reserve r;
  r.sha256 = reserve.info.sha256;
  r.origin = origin;
  int64_t last_replaced_expiry = 0;
  for (const auto& c : current) {
    if (c.info.sha256 == r.sha256 || c.info.not_after >= reserve.info.not_after) continue;
    if (!same_server(c, reserve)) continue;
    for (const auto& p : c.pins()) r.replaces.push_back(p.text());
    last_replaced_expiry = std::max(last_replaced_expiry, c.info.not_after);
  }
  r.activate_at = activate_at ? *activate_at : std::max(now, last_replaced_expiry);
  return r;
}

std::string check_key(const Layout& layout, const std::vector<ReserveOffer>& offers,
                      bool policies_complete) {
  std::string material = policies_complete ? "complete\n" : "incomplete\n";
  for (const auto& file : {layout.cainfo, layout.cainfo_ss, layout.cainfo_reserve}) {
    SourceProbe p = probe_source(file);
    const FileStamp& s = p.stamp;
    material += file + ' ' + std::to_string(static_cast<int>(p.presence)) + ' ' +
                std::to_string(s.dev) + ' ' + std::to_string(s.ino) + ' ' + std::to_string(s.size) +
                ' ' + std::to_string(s.mtime_ns) + ' ' + std::to_string(s.ctime_ns) + '\n';
  }
  for (const auto& o : offers) {
    material += o.origin + ' ' + to_hex(sha256_of(o.der)) + ' ' +
                (o.activate_at ? std::to_string(*o.activate_at) : "-") + '\n';
  }
  return to_hex(sha256_of(material));
}

std::string short_name(const Held& h) {
  return "'" + h.info.subject + "' (sha256 " + h.info.sha256 + ")";
}

bool same_pin(const Pin& a, const Pin& b) { return a.kind == b.kind && a.value == b.value; }

}  // namespace

Result<ReserveAdded> add_reserves(const Layout& layout, const std::vector<std::string>& ders,
                                  std::optional<int64_t> activate_at, const std::string& origin,
                                  int64_t now) {
  CertCache cache = CertCache::load(layout.cert_cache);
  std::vector<Held> current = read_held({layout.cainfo, layout.cainfo_ss}, cache);
  std::vector<Held> incoming;
  for (const auto& der : ders) {
    auto cert = Certificate::from_der(der);
    if (!cert) return make_error(Code::kBadInput, "not a certificate: " + cert.error().message);
    Held h(layout.cainfo_reserve, *cert);
    if (const Held* in_use = find_sha(current, h.info.sha256)) {
      return make_error(Code::kBadInput,
                        short_name(h) + " is already a current anchor in " +
                            file_name(in_use->file) +
                            "; a reserve is a certificate the server will use next");
    }
    incoming.push_back(std::move(h));
  }
  auto written = add_ders_to_managed_source(ders, layout.cainfo_reserve);
  if (!written) return written.error();
  ReserveState state = load_reserve_state(layout.reserve_state);
  ReserveAdded out;
  out.added = written->added;
  out.already_present = written->already_present;
  for (const auto& h : incoming) {
    if (Reserve* known = find_record(state, h.info.sha256)) {
      if (activate_at) known->activate_at = *activate_at;
      known->origin = origin;
      out.reserves.push_back(*known);
      continue;
    }
    state.reserves.push_back(record_for(h, current, activate_at, origin, now));
    out.reserves.push_back(state.reserves.back());
  }
  if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
  return out;
}

Result<CertInfo> remove_reserve(const Layout& layout, const Fingerprint& fingerprint) {
  auto removed = remove_from_managed_sources({layout.cainfo_reserve}, fingerprint);
  if (!removed) {
    return make_error(Code::kBadInput,
                      "no reserve with fingerprint " + fingerprint.hex + " in cainfo-reserve.pem");
  }
  ReserveState state = load_reserve_state(layout.reserve_state);
  std::erase_if(state.reserves,
                [&](const Reserve& r) { return r.sha256 == removed->removed.sha256; });
  if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
  return removed->removed;
}

Result<RolloverReport> maintain_rollover(const Layout& layout,
                                         const std::vector<ReserveOffer>& from_policy, int64_t now,
                                         bool policies_complete) {
  ReserveState state = load_reserve_state(layout.reserve_state);
  RolloverReport report;
  if (state.check_key == check_key(layout, from_policy, policies_complete) &&
      now < state.next_event) {
    report.reserves = state.reserves;
    return report;
  }
  report.ran = true;
  auto note = [&](std::string line) { report.notes.push_back(std::move(line)); };

  // 1. Reserves published by policy.
  CertCache cache = CertCache::load(layout.cert_cache);
  std::vector<Held> current = read_held({layout.cainfo, layout.cainfo_ss}, cache);
  std::vector<Held> reserves = read_held({layout.cainfo_reserve}, cache);
  for (const auto& offer : from_policy) {
    std::string sha = to_hex(sha256_of(offer.der));
    if (find_sha(current, sha)) continue;  // already the current certificate
    Reserve* known = find_record(state, sha);
    if (known && find_sha(reserves, sha)) {
      if (offer.activate_at && known->origin == offer.origin &&
          known->activate_at != *offer.activate_at) {
        known->activate_at = *offer.activate_at;
        note("reserve sha256 " + sha + ": policy " + offer.origin + " moved its activation to " +
             to_iso8601(known->activate_at));
      }
      continue;
    }
    if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
    auto added = add_reserves(layout, {offer.der}, offer.activate_at, offer.origin, now);
    if (!added) {
      note("reserve from policy " + offer.origin + " not added: " + added.error().message);
    } else {
      for (const auto& info : added->added) {
        note("reserve '" + info.subject + "' (sha256 " + info.sha256 + ") from policy " +
             offer.origin + ": an anchor now, activates " +
             to_iso8601(added->reserves.front().activate_at));
      }
    }
    state = load_reserve_state(layout.reserve_state);
    reserves = read_held({layout.cainfo_reserve}, cache);
  }

  // 2. A pending reserve its policy no longer publishes is withdrawn.
  for (const Reserve& r : std::vector<Reserve>(state.reserves)) {
    if (r.origin == "cli" || r.origin == "file" || !r.pending(now) || !policies_complete) continue;
    bool still_offered = std::any_of(from_policy.begin(), from_policy.end(), [&](const auto& o) {
      return o.origin == r.origin && to_hex(sha256_of(o.der)) == r.sha256;
    });
    if (still_offered) continue;
    auto fp = Fingerprint{Fingerprint::Algorithm::kSha256, r.sha256};
    if (auto gone = remove_from_managed_sources({layout.cainfo_reserve}, fp); gone) {
      note("reserve sha256 " + r.sha256 + " withdrawn: policy " + r.origin +
           " no longer publishes it");
    }
    std::erase_if(state.reserves, [&](const Reserve& x) { return x.sha256 == r.sha256; });
  }

  // 3. Certificates put into cainfo-reserve.pem by hand are adopted; records of certificates no
  //    longer there are dropped.
  reserves = read_held({layout.cainfo_reserve}, cache);
  for (const auto& h : reserves) {
    if (find_record(state, h.info.sha256)) continue;
    state.reserves.push_back(record_for(h, current, std::nullopt, "file", now));
    note("reserve " + short_name(h) + " found in cainfo-reserve.pem: activates " +
         to_iso8601(state.reserves.back().activate_at));
  }
  std::erase_if(state.reserves,
                [&](const Reserve& r) { return find_sha(reserves, r.sha256) == nullptr; });

  // 4. Expired certificates that a later one for the same server has superseded.
  std::vector<Held> all =
      read_held({layout.cainfo, layout.cainfo_ss, layout.cainfo_reserve}, cache);
  for (const auto& old : all) {
    if (old.info.not_after > now) continue;
    auto successor = std::find_if(all.begin(), all.end(), [&](const Held& h) {
      return h.info.sha256 != old.info.sha256 && h.info.not_before <= now &&
             now < h.info.not_after && h.info.not_after > old.info.not_after && same_server(old, h);
    });
    if (successor == all.end()) continue;
    auto fp = Fingerprint{Fingerprint::Algorithm::kSha256, old.info.sha256};
    if (auto gone = remove_from_managed_sources({old.file}, fp); !gone) return gone.error();
    note("removed expired " + short_name(old) + " from " + file_name(old.file) + " (expired " +
         to_iso8601(old.info.not_after) + "; superseded by sha256 " + successor->info.sha256 +
         ", valid until " + to_iso8601(successor->info.not_after) + ")");
    if (old.file == layout.cainfo_reserve) {
      std::erase_if(state.reserves, [&](const Reserve& r) { return r.sha256 == old.info.sha256; });
    }
  }

  // 5. The next instant at which something here can change by itself.
  state.next_event = std::numeric_limits<int64_t>::max();
  for (const auto& r : state.reserves) {
    if (r.pending(now)) state.next_event = std::min(state.next_event, r.activate_at);
  }
  for (const auto& h : all) {
    for (int64_t t : {h.info.not_before, h.info.not_after}) {
      if (t > now) state.next_event = std::min(state.next_event, t);
    }
  }
  state.check_key = check_key(layout, from_policy, policies_complete);
  if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
  report.reserves = state.reserves;
  return report;
}

std::vector<Pin> pins_following_rollover(const std::vector<Pin>& pins,
                                         const std::vector<Reserve>& reserves, int64_t now) {
  std::vector<Pin> out = pins;
  auto contains = [](const std::vector<Pin>& list, const Pin& p) {
    return std::any_of(list.begin(), list.end(), [&](const Pin& q) { return same_pin(p, q); });
  };
  for (const auto& r : reserves) {
    std::vector<Pin> replaced;
    for (const auto& text : r.replaces) {
      if (auto p = parse_pin(text)) replaced.push_back(*p);
    }
    bool follows =
        std::any_of(pins.begin(), pins.end(), [&](const Pin& p) { return contains(replaced, p); });
    if (!follows) continue;
    Pin own{Pin::Kind::kCertSha256, r.sha256};
    if (!contains(out, own)) out.push_back(own);
    if (!r.pending(now)) {
      std::erase_if(out, [&](const Pin& p) { return contains(replaced, p); });
    }
  }
  return out;
}

std::string role_of(const std::string& sha256, const std::vector<Reserve>& reserves, int64_t now) {
  for (const auto& r : reserves) {
    if (r.sha256 == sha256 && r.pending(now)) return "reserve";
  }
  return "current";
}

}  // namespace trust
