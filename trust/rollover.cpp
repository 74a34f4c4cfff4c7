#include "trust/rollover.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <sstream>

#include "trust/atomic_file.h"
#include "trust/cert_cache.h"
#include "trust/fingerprint.h"
#include "trust/managed_source.h"
#include "trust/server_identity.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace trust {
namespace {

// A certificate in one agent-managed source. Its metadata (server names included) comes from the
// merge's metadata cache when the cache has it; the certificate itself is decoded only when its
// pins are asked for, because decoding is what costs (OpenSSL 3 decodes the public key of every
// certificate, about a millisecond for an RSA-4096 root), and a system bundle in cainfo.pem holds
// 140 of them.
class Held {
 public:
  Held(std::string file, std::string der, CertInfo info)
      : file(std::move(file)), der(std::move(der)), info(std::move(info)) {}
  Held(std::string file, const Certificate& cert)
      : file(std::move(file)), der(cert.der()), info(cert.info()) {
    pins_ = std::make_shared<const std::vector<Pin>>(pins_of(*cert.x509_ptr()));
  }

  const std::vector<Pin>& pins() const {
    if (!pins_) {
      auto cert = Certificate::from_der(der);
      pins_ = std::make_shared<const std::vector<Pin>>(cert ? pins_of(*cert->x509_ptr())
                                                            : std::vector<Pin>{});
    }
    return *pins_;
  }

  std::string file;
  std::string der;
  CertInfo info;

 private:
  mutable std::shared_ptr<const std::vector<Pin>> pins_;
};

// Unreadable or refused files are left to the merge to report; rollover just does not use them.
// A cache entry vouches that its DER is well-formed and fit for the store; any other certificate
// is decoded here, and its metadata is added to `cache` only when it is fit (store_defect): the
// merge, which shares the cache, checks only what the cache does not vouch for.
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
      if (store_defect(*cert).empty()) cache.insert(raw.sha256, out.back().info);
    }
  }
  return out;
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

bool matches(const Fingerprint& fp, const CertInfo& info) {
  return fp.hex == (fp.algorithm == Fingerprint::Algorithm::kSha256 ? info.sha256 : info.sha1);
}

// The record a new reserve gets: what it replaces among the current certificates, and when it
// activates if nobody said.
Reserve record_for(const Held& reserve, const std::vector<Held>& current,
                   const std::vector<Fingerprint>& replaces, std::optional<int64_t> activate_at,
                   const ReserveOrigin& origin, int64_t now) {
  Reserve r;
  r.sha256 = reserve.info.sha256;
  r.origin = origin;
  r.arrived_at = now;
  for (const auto& c : current) {
    if (c.info.sha256 == r.sha256) continue;
    bool replaced =
        replaces.empty()
            ? c.info.not_after < reserve.info.not_after && same_server(c.info, reserve.info)
            : std::any_of(replaces.begin(), replaces.end(),
                          [&](const Fingerprint& fp) { return matches(fp, c.info); });
    if (!replaced) continue;
    for (const auto& p : c.pins()) {
      // A pin the reserve matches too (the same key renewed) is not the old certificate's alone:
      // retiring it would refuse the reserve and every later renewal with that key.
      bool shared = std::any_of(reserve.pins().begin(), reserve.pins().end(), [&](const Pin& q) {
        return q.kind == p.kind && q.value == p.value;
      });
      if (!shared) r.replaces.push_back(p.text());
    }
    r.replaced_until = std::max(r.replaced_until, c.info.not_after);
  }
  r.activate_at = activate_at ? *activate_at : std::max(now, r.replaced_until);
  return r;
}

std::string check_key(const Layout& layout, const RolloverInputs& in,
                      const std::vector<std::string>& watched) {
  std::string material = in.policies_complete ? "complete\n" : "incomplete\n";
  for (const auto& file : {layout.cainfo, layout.cainfo_ss, layout.cainfo_reserve}) {
    SourceProbe p = probe_source(file);
    const FileStamp& s = p.stamp;
    material += file + ' ' + std::to_string(static_cast<int>(p.presence)) + ' ' +
                std::to_string(s.dev) + ' ' + std::to_string(s.ino) + ' ' + std::to_string(s.size) +
                ' ' + std::to_string(s.mtime_ns) + ' ' + std::to_string(s.ctime_ns) + '\n';
  }
  for (const auto& o : in.offers) {
    material += o.origin + ' ' + to_hex(sha256_of(o.der)) + ' ' +
                (o.activate_at ? std::to_string(*o.activate_at) : "-");
    for (const auto& fp : o.replaces) material += ' ' + fp.hex;
    material += '\n';
  }
  for (const auto& s : in.seen) {
    if (std::find(watched.begin(), watched.end(), s.sha256) != watched.end()) {
      material += "seen " + s.sha256 + '\n';
    }
  }
  for (const auto& sha : in.presented_by_own_servers) {
    if (std::find(watched.begin(), watched.end(), sha) != watched.end()) {
      material += "presented " + sha + '\n';
    }
  }
  return to_hex(sha256_of(material));
}

std::string short_name(const Held& h) {
  return "'" + h.info.subject + "' (sha256 " + h.info.sha256 + ")";
}

bool same_pin(const Pin& a, const Pin& b) { return a.kind == b.kind && a.value == b.value; }

// After a jump, dates are not trusted until real time has caught up with a forward jump (the
// grace periods measured across it would be short by that much), and for at least a day.
int64_t pause_ends(const ClockRecord& c) {
  int64_t length = std::max<int64_t>(kClockJumpToleranceSeconds, c.jump_seconds);
  return c.jump_at + std::min<int64_t>(length, kMaxClockPauseSeconds);
}

bool paused(const ClockRecord& c, int64_t now) {
  return c.jump_at != 0 && now >= c.jump_at && now < pause_ends(c);
}

// Writes cainfo-reserve.pem and records the reserves in `state`, which the caller saves: one
// maintenance run loads and saves reserves.state once, whatever number of reserves it adds.
Result<ReserveAdded> add_reserves_to(const Layout& layout, ReserveState& state, CertCache& cache,
                                     const std::vector<std::string>& ders,
                                     std::optional<int64_t> activate_at,
                                     const ReserveOrigin& origin, int64_t now,
                                     const std::vector<Fingerprint>& replaces) {
  std::vector<Held> current =
      read_held({layout.cainfo, layout.cainfo_ss, layout.cainfo_reserve}, cache);
  for (const auto& fp : replaces) {
    bool known = std::any_of(current.begin(), current.end(),
                             [&](const Held& h) { return matches(fp, h.info); });
    if (!known) {
      return make_error(Code::kBadInput, "--replaces " + fp.hex +
                                             ": no certificate with this fingerprint is in "
                                             "cainfo.pem, cainfo-ss.pem or cainfo-reserve.pem");
    }
  }
  std::vector<Held> incoming;
  for (const auto& der : ders) {
    auto cert = Certificate::from_der(der);
    if (!cert) return make_error(Code::kBadInput, "not a certificate: " + cert.error().message);
    Held h(layout.cainfo_reserve, *cert);
    const Held* in_use = find_sha(current, h.info.sha256);
    if (in_use && in_use->file != layout.cainfo_reserve) {
      return make_error(Code::kBadInput,
                        short_name(h) + " is already a current anchor in " +
                            file_name(in_use->file) +
                            "; a reserve is a certificate the server will use next");
    }
    incoming.push_back(std::move(h));
  }
  auto written = add_ders_to_managed_source(ders, layout.cainfo_reserve);
  if (!written) return written.error();
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
    state.reserves.push_back(record_for(h, current, replaces, activate_at, origin, now));
    out.reserves.push_back(state.reserves.back());
  }
  return out;
}

// Steps of one maintenance run, in order; each adds its lines to `notes`.
class Maintenance {
 public:
  Maintenance(const Layout& layout, const RolloverInputs& in, ReserveState& state, int64_t now,
              std::vector<std::string>& notes, CertCache& cache)
      : layout_(layout), in_(in), state_(state), now_(now), notes_(notes), cache_(cache) {
    current_ = read_held({layout.cainfo, layout.cainfo_ss}, cache_);
    restored_ = load_restored(layout);
  }

  Result<void> add_offered_reserves() {
    std::vector<Held> reserves = read_held({layout_.cainfo_reserve}, cache_);
    for (const auto& offer : in_.offers) {
      std::string sha = to_hex(sha256_of(offer.der));
      if (find_sha(current_, sha)) continue;  // already the current certificate
      Reserve* known = find_record(state_, sha);
      if (known && find_sha(reserves, sha)) {
        if (offer.activate_at && known->origin.is_policy(offer.origin) &&
            known->activate_at != *offer.activate_at) {
          known->activate_at = *offer.activate_at;
          note("reserve sha256 " + sha + ": policy " + offer.origin + " moved its activation to " +
               to_iso8601(known->activate_at));
        }
        continue;
      }
      auto added = add_reserves_to(layout_, state_, cache_, {offer.der}, offer.activate_at,
                                   ReserveOrigin::policy(offer.origin), now_, offer.replaces);
      if (!added) {
        note("reserve from policy " + offer.origin + " not added: " + added.error().message);
      } else {
        for (const auto& info : added->added) {
          note("reserve '" + info.subject + "' (sha256 " + info.sha256 + ") from policy " +
               offer.origin + ": an anchor now, activates " +
               to_iso8601(added->reserves.front().activate_at));
        }
      }
      reserves = read_held({layout_.cainfo_reserve}, cache_);
    }
    return {};
  }

  // A pending reserve its policy no longer publishes is withdrawn.
  void withdraw_unpublished() {
    for (const Reserve& r : std::vector<Reserve>(state_.reserves)) {
      if (r.origin.kind != ReserveOrigin::Kind::kPolicy || !r.pending(now_) ||
          !in_.policies_complete) {
        continue;
      }
      bool still_offered = std::any_of(in_.offers.begin(), in_.offers.end(), [&](const auto& o) {
        return r.origin.is_policy(o.origin) && to_hex(sha256_of(o.der)) == r.sha256;
      });
      if (still_offered) continue;
      auto fp = Fingerprint{Fingerprint::Algorithm::kSha256, r.sha256};
      if (auto gone = remove_from_managed_sources({layout_.cainfo_reserve}, fp); gone) {
        note("reserve sha256 " + r.sha256 + " withdrawn: policy " + r.origin.guid +
             " no longer publishes it");
      }
      std::erase_if(state_.reserves, [&](const Reserve& x) { return x.sha256 == r.sha256; });
    }
  }

  // Certificates put into cainfo-reserve.pem by hand are adopted; records of certificates no
  // longer there are dropped.
  void adopt_placed_by_hand() {
    std::vector<Held> reserves = read_held({layout_.cainfo_reserve}, cache_);
    for (const auto& h : reserves) {
      if (find_record(state_, h.info.sha256)) continue;
      state_.reserves.push_back(
          record_for(h, current_, {}, std::nullopt, ReserveOrigin::found_in_file(), now_));
      note("reserve " + short_name(h) + " found in cainfo-reserve.pem: activates " +
           to_iso8601(state_.reserves.back().activate_at));
    }
    std::erase_if(state_.reserves,
                  [&](const Reserve& r) { return find_sha(reserves, r.sha256) == nullptr; });
  }

  // Activation changes a role, not what is trusted; it is logged so that a fleet's logs show it.
  void note_activations(int64_t last_run) {
    for (const auto& r : state_.reserves) {
      if (last_run == 0 || r.activate_at <= last_run || r.activate_at > now_) continue;
      note("reserve sha256 " + r.sha256 + " activated on " + to_iso8601(r.activate_at) +
           ": it is the current certificate now; what it replaces stays trusted until a server "
           "has presented it for " +
           std::to_string(kRolloverGraceSeconds / 86400) + " days");
    }
  }

  void note_seen_in_use() {
    for (auto& r : state_.reserves) {
      if (r.seen_at != 0) continue;
      if (const SeenInUse* s = seen(r.sha256)) {
        r.seen_at = std::max(s->first_seen, r.arrived_at);
        note("reserve sha256 " + r.sha256 + " seen in use by a server since " +
             to_iso8601(r.seen_at) + "; the server certificates it replaces retire " +
             std::to_string(kRolloverGraceSeconds / 86400) +
             " days after they were last seen, not before " +
             to_iso8601(r.seen_at + kRolloverGraceSeconds));
      }
    }
  }

  // When the certificate `old`, replaced by `r`, retires: the grace period after the later of
  // the reserve's first sighting in use and the last sighting of `old` itself (a server that went
  // back to it, or a half-switched cluster, keeps it). Only server certificates (with DNS/IP
  // names) retire on sightings: a CA may still be used by services the agent never connects to,
  // so a replaced CA leaves only when it has expired (prune_expired).
  std::optional<int64_t> retires_at(const Reserve& r, const Held& old) const {
    if (r.seen_at == 0 || old.info.server_names.empty()) return std::nullopt;
    int64_t since = r.seen_at;
    if (const SeenInUse* s = seen(old.info.sha256)) {
      since = std::max(since, s->last_seen + kLastSeenResolutionSeconds);  // seen up to then
    }
    return since + kRolloverGraceSeconds;
  }
  bool still_presented(const Held& old) const {
    const auto& own = in_.presented_by_own_servers;
    return std::find(own.begin(), own.end(), old.info.sha256) != own.end();
  }

  Result<void> retire_replaced() {
    std::vector<std::string> due;
    for (const auto& r : state_.reserves) {
      if (r.retired_at == 0 && r.seen_at != 0) due.push_back(r.sha256);
    }
    for (const auto& sha : due) {
      const Reserve* r = find_record(state_, sha);
      if (r == nullptr) continue;  // retired itself by an earlier reserve in this run
      Reserve reserve = *r;
      bool all_gone = true;
      for (const auto& replaced : replaced_sha256s(reserve)) {
        if (replaced == reserve.sha256) continue;
        for (const auto& old : all_held()) {  // read again: each retirement edits the files
          if (old.info.sha256 != replaced || brought_back(old)) continue;
          auto when = retires_at(reserve, old);
          if (!when) {  // no server names (a CA): it stays, and its pins too, until it expires
            all_gone = false;
            continue;
          }
          if (now_ < *when || still_presented(old)) {
            all_gone = false;
            continue;
          }
          if (auto moved = retire(old); !moved) return moved;
          note("retired " + short_name(old) + " from " + file_name(old.file) +
               ": a server has presented its successor sha256 " + reserve.sha256 + " since " +
               to_iso8601(reserve.seen_at) + ", and nothing presented it for " +
               std::to_string(kRolloverGraceSeconds / 86400) + " days (kept in " +
               file_name(layout_.retired) + ")");
        }
      }
      if (Reserve* record = find_record(state_, sha); record && all_gone) {
        record->retired_at = now_;
      }
    }
    return {};
  }

  // An expired certificate leaves the store after the grace period, once a later valid one of
  // the same identity has been seen in use.
  Result<void> prune_expired() {
    std::vector<Held> all = all_held();
    for (const auto& old : all) {
      if (now_ < old.info.not_after + kRolloverGraceSeconds) continue;
      // The same guards as retirement: a clock that runs fast must not take out a certificate
      // one of the agent's own servers still presents, nor one whose successor was only just seen.
      if (still_presented(old) || brought_back(old)) continue;
      auto successor = std::find_if(all.begin(), all.end(), [&](const Held& h) {
        auto since = in_use_since(h.info.sha256);
        return h.info.sha256 != old.info.sha256 && h.info.not_before <= now_ &&
               now_ < h.info.not_after && h.info.not_after > old.info.not_after && since &&
               now_ >= *since + kRolloverGraceSeconds && same_server(old.info, h.info);
      });
      if (successor == all.end()) continue;
      if (auto moved = retire(old); !moved) return moved;
      note("removed expired " + short_name(old) + " from " + file_name(old.file) + " (expired " +
           to_iso8601(old.info.not_after) + "; its successor sha256 " + successor->info.sha256 +
           ", valid until " + to_iso8601(successor->info.not_after) + ", is in use; kept in " +
           file_name(layout_.retired) + ")");
    }
    return {};
  }

  // The certificates whose sighting would let a step here do something (a reserve's first, the
  // successor of an expired certificate) or stop it (a replaced one an own server presents).
  std::vector<std::string> watched() {
    std::vector<std::string> out;
    for (const auto& r : state_.reserves) {
      if (r.seen_at == 0) out.push_back(r.sha256);
      if (r.retired_at != 0) continue;
      for (const auto& sha : replaced_sha256s(r)) out.push_back(sha);  // presented or not
    }
    std::vector<Held> all = all_held();
    for (const auto& old : all) {
      if (old.info.not_after > now_) continue;
      out.push_back(old.info.sha256);  // pruning waits while an own server presents it
      for (const auto& h : all) {
        if (h.info.sha256 != old.info.sha256 && now_ < h.info.not_after &&
            h.info.not_after > old.info.not_after && !in_use(h.info.sha256) &&
            same_server(old.info, h.info)) {
          out.push_back(h.info.sha256);
        }
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // The next instant at which something here can change by itself.
  int64_t next_event() {
    int64_t next = std::numeric_limits<int64_t>::max();
    auto consider = [&](int64_t t) {
      if (t > now_) next = std::min(next, t);
    };
    std::vector<Held> all = all_held();
    for (const auto& r : state_.reserves) {
      consider(r.activate_at);
      if (r.seen_at == 0 || r.retired_at != 0) continue;
      for (const auto& replaced : replaced_sha256s(r)) {
        for (const auto& old : all) {
          if (old.info.sha256 != replaced) continue;
          if (auto when = retires_at(r, old)) consider(*when);
        }
      }
    }
    for (const auto& h : all) {
      consider(h.info.not_before);
      consider(h.info.not_after);
      consider(h.info.not_after + kRolloverGraceSeconds);
      if (auto since = in_use_since(h.info.sha256)) consider(*since + kRolloverGraceSeconds);
    }
    if (state_.clock.jump_at != 0) consider(pause_ends(state_.clock));
    return next;
  }

 private:
  void note(std::string line) { notes_.push_back(std::move(line)); }

  const SeenInUse* seen(const std::string& sha256) const {
    for (const auto& s : in_.seen) {
      if (s.sha256 == sha256) return &s;
    }
    return nullptr;
  }
  bool in_use(const std::string& sha256) const { return in_use_since(sha256).has_value(); }
  // When a server was first seen presenting it (a reserve's recorded sighting counts).
  std::optional<int64_t> in_use_since(const std::string& sha256) const {
    std::optional<int64_t> since;
    if (const SeenInUse* s = seen(sha256)) since = s->first_seen;
    for (const auto& r : state_.reserves) {
      if (r.sha256 == sha256 && r.seen_at != 0)
        since = since ? std::min(*since, r.seen_at) : r.seen_at;
    }
    return since;
  }

  std::vector<Held> all_held() {
    return read_held({layout_.cainfo, layout_.cainfo_ss, layout_.cainfo_reserve}, cache_);
  }

  // Into retired.pem first, then out of the store: a crash between leaves it in both, never in
  // neither.
  bool brought_back(const Held& h) const {
    return std::find(restored_.begin(), restored_.end(), h.info.sha256) != restored_.end();
  }

  Result<void> retire(const Held& old) {
    if (auto kept = add_ders_to_managed_source({old.der}, layout_.retired); !kept) {
      return kept.error();
    }
    auto fp = Fingerprint{Fingerprint::Algorithm::kSha256, old.info.sha256};
    if (auto gone = remove_from_managed_sources({old.file}, fp); !gone) return gone.error();
    if (old.file == layout_.cainfo_reserve) {
      std::erase_if(state_.reserves, [&](const Reserve& r) { return r.sha256 == old.info.sha256; });
    }
    return {};
  }

  const Layout& layout_;
  const RolloverInputs& in_;
  ReserveState& state_;
  int64_t now_;
  std::vector<std::string>& notes_;
  CertCache& cache_;
  std::vector<Held> current_;
  std::vector<std::string> restored_;
};

}  // namespace

Result<ReserveAdded> add_reserves(const Layout& layout, const std::vector<std::string>& ders,
                                  std::optional<int64_t> activate_at, const ReserveOrigin& origin,
                                  int64_t now, const std::vector<Fingerprint>& replaces) {
  CertCache cache = CertCache::load(layout.cert_cache);
  ReserveState state = load_reserve_state(layout.reserve_state);
  auto added = add_reserves_to(layout, state, cache, ders, activate_at, origin, now, replaces);
  if (!added) return added.error();
  if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
  return added;
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

Result<RolloverReport> maintain_rollover(const Layout& layout, const RolloverInputs& inputs,
                                         const ClockReading& clock, CertCache* shared_cache) {
  ReserveState state = load_reserve_state(layout.reserve_state);
  RolloverReport report;
  int64_t now = clock.wall;
  BootReference reference = load_boot_reference(layout.clock_state);
  std::optional<int64_t> jump = reference.boot_id == clock.boot_id && !clock.boot_id.empty()
                                    ? drift_since_boot(reference, clock)
                                    : clock_jump(state.clock, clock);
  if (jump || reference.boot_id != clock.boot_id) {
    // A new boot, or a jump taken note of: time is measured from here on. (Best effort: without
    // the file, the next run compares with the last one, as before.)
    (void)save_boot_reference(layout.clock_state, {clock.boot_id, clock.wall - clock.boot});
  }
  // A new boot is checked once in full, so the clock record always holds this boot's reading
  // (without it, a jump later in this boot could not be seen).
  bool new_boot = state.clock.boot_id != clock.boot_id;
  if (!jump && !new_boot && state.check_key == check_key(layout, inputs, state.watched) &&
      now < state.next_event) {
    report.reserves = state.reserves;
    report.clock = state.clock;
    report.paused = paused(state.clock, now);
    return report;
  }
  report.ran = true;
  if (jump) {
    state.clock.jump_at = now;
    state.clock.jump_seconds = *jump;
    report.notes.push_back(
        "the wall clock was set " + std::string(*jump > 0 ? "forward" : "back") + " by " +
        std::to_string(((*jump > 0 ? *jump : -*jump) + 1800) / 3600) +
        " hours more than real time passed: retirement and pruning are paused until " +
        to_iso8601(pause_ends(state.clock)));
  }
  int64_t last_run = state.clock.wall;
  state.clock.wall = clock.wall;
  state.clock.boot = clock.boot;
  state.clock.boot_id = clock.boot_id;
  report.paused = paused(state.clock, now);

  CertCache own_cache;
  if (shared_cache == nullptr) own_cache = CertCache::load(layout.cert_cache);
  Maintenance m(layout, inputs, state, now, report.notes,
                shared_cache != nullptr ? *shared_cache : own_cache);
  if (auto added = m.add_offered_reserves(); !added) return added.error();
  m.withdraw_unpublished();
  m.adopt_placed_by_hand();
  m.note_activations(last_run);
  m.note_seen_in_use();
  if (!report.paused) {
    if (auto retired = m.retire_replaced(); !retired) return retired.error();
    if (auto pruned = m.prune_expired(); !pruned) return pruned.error();
  }
  state.next_event = m.next_event();
  state.watched = m.watched();
  state.check_key = check_key(layout, inputs, state.watched);
  if (auto saved = save_reserve_state(layout.reserve_state, state); !saved) return saved.error();
  report.reserves = state.reserves;
  report.clock = state.clock;
  return report;
}

int64_t clock_pause_ends(const ClockRecord& clock) { return pause_ends(clock); }

std::vector<std::string> load_restored(const Layout& layout) {
  std::vector<std::string> out;
  auto text = read_source_file(layout.restored, 4 << 20);
  if (!text) return out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (sha256_from_hex(line)) out.push_back(line);
  }
  return out;
}

void forget_restored(const Layout& layout, const std::string& sha256) {
  std::vector<std::string> all = load_restored(layout);
  auto gone = std::remove(all.begin(), all.end(), sha256);
  if (gone == all.end()) return;
  all.erase(gone, all.end());
  std::string text;
  for (const auto& sha : all) text += sha + "\n";
  (void)write_file_atomic(layout.restored, text);
}

Result<std::vector<std::string>> restore_retired(const Layout& layout,
                                                 const std::vector<std::string>& sha256s) {
  std::vector<std::string> restored;
  auto retired = read_source_file(layout.retired);
  if (!retired) return restored;
  std::vector<std::string> held;
  for (const auto& c : read_certificates(*retired).certs) held.push_back(to_hex(c.sha256));
  std::vector<std::string> all = load_restored(layout);
  for (const auto& sha : sha256s) {
    if (std::find(held.begin(), held.end(), sha) == held.end()) continue;
    if (std::find(all.begin(), all.end(), sha) == all.end()) all.push_back(sha);
    restored.push_back(sha);
  }
  if (restored.empty()) return restored;
  std::string text;
  for (const auto& sha : all) text += sha + "\n";
  // The record first: a crash after it leaves a certificate in retired.pem that rollover will
  // not retire again, never one it would take out once more.
  if (auto made = make_directories(layout.state_dir); !made) return made.error();
  if (auto saved = write_file_atomic(layout.restored, text); !saved) return saved.error();
  for (const auto& sha : restored) {
    auto gone = remove_from_managed_sources({layout.retired},
                                            Fingerprint{Fingerprint::Algorithm::kSha256, sha});
    if (!gone) return gone.error();
  }
  return restored;
}

bool replaced_certificates_retire(const Reserve& r, int64_t now) {
  return r.retired_at != 0 || (r.replaced_until != 0 && now >= r.replaced_until);
}

std::vector<std::string> replaced_sha256s(const Reserve& r) {
  std::vector<std::string> out;
  for (const auto& text : r.replaces) {
    auto p = parse_pin(text);
    if (p && p->kind == Pin::Kind::kCertSha256) out.push_back(p->value);
  }
  return out;
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
    if (replaced_certificates_retire(r, now)) {
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
