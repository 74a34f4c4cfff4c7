#include "trust/merge.h"

#include <sys/stat.h>

#include <algorithm>

#include <unordered_map>
#include <unordered_set>

#include "trust/atomic_file.h"
#include "trust/cert_cache.h"
#include "trust/fingerprint.h"
#include "trust/hashed_directory.h"
#include "trust/merge_state.h"
#include "trust/pem_parity.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"
#include "trust/store_index.h"

namespace trust {
namespace {

using Presence = SourceProbe::Presence;

std::string hash_hex(std::string_view bytes) { return to_hex(sha256_of(bytes)); }

std::optional<FileStamp> stat_file(const std::string& path) {
  SourceProbe probe = probe_source(path);
  if (probe.presence != Presence::kPresent) return std::nullopt;
  return probe.stamp;
}

SourceStatus status_of(Presence p) {
  switch (p) {
    case Presence::kPresent:
      return SourceStatus::kOk;
    case Presence::kMissing:
      return SourceStatus::kMissing;
    case Presence::kRefused:
      return SourceStatus::kRefused;
  }
  return SourceStatus::kRefused;
}

MergeReport report_from_state(const MergeState& state) {
  MergeReport r;
  r.anchors = state.anchors;
  r.duplicates = state.duplicates;
  r.skipped = state.skipped;
  r.not_certificates = state.not_certificates;
  for (const auto& s : state.sources) r.sources.push_back(s.report);
  return r;
}

// The anchors of the previous store, to report what a regeneration added and removed.
std::vector<AnchorChange> previous_anchors(const Layout& layout) {
  std::vector<AnchorChange> out;
  if (auto index = load_index(layout.merged_index)) {
    for (auto& e : index->entries) out.push_back({e.sha256, e.subject});
  }
  return out;
}

struct Probed {
  SourceProbe probe;
  std::optional<std::string> content;  // read while checking for change, reused by the merge
  std::string content_sha256;
};

// Decides whether the store must be regenerated; returns the reason, or "" for no.
std::string why_regenerate(const Layout& layout, const std::vector<SourceSpec>& specs,
                           const std::optional<MergeState>& state, std::vector<Probed>& probed,
                           bool& stamps_moved, MergeReport& report) {
  if (!state) return "no record of a previous merge";
  if (state->metadata_outdated) return "the certificate metadata of an older version is renewed";
  if (state->sources.size() != specs.size()) return "the list of sources changed";
  for (size_t i = 0; i < specs.size(); ++i) {
    if (state->sources[i].report.path != specs[i].path) return "the list of sources changed";
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    const SourceState& was = state->sources[i];
    Probed& now = probed[i];
    SourceStatus status = status_of(now.probe.presence);
    if (status == SourceStatus::kOk && was.report.status == SourceStatus::kRefused &&
        was.content_sha256.empty()) {
      // It passed the checks last time too but could not be read; unchanged while that holds.
      auto content = read_source_file(specs[i].path, kMaxSourceBytes, &probed[i].probe.stamp);
      if (!content) continue;
      return specs[i].display + " became readable";
    }
    if (status != was.report.status) {
      return specs[i].display + (status == SourceStatus::kMissing   ? " disappeared"
                                 : status == SourceStatus::kRefused ? " is now refused"
                                                                    : " appeared");
    }
    if (now.probe.presence != Presence::kPresent || now.probe.stamp == was.stamp) continue;
    auto content = read_source_file(specs[i].path, kMaxSourceBytes, &probed[i].probe.stamp);
    if (!content) return specs[i].display + " became unreadable";
    now.content_sha256 = hash_hex(*content);
    now.content = std::move(*content);
    if (now.content_sha256 != was.content_sha256) return specs[i].display + " changed";
    stamps_moved = true;
  }
  auto merged = stat_file(layout.merged);
  if (!merged) return "the merged store is missing";
  if (!(*merged == state->merged_stamp)) {
    auto content = read_source_file(layout.merged);
    if (!content || hash_hex(*content) != state->merged_sha256) {
      report.notes.push_back(layout.merged +
                             " differed from what trustagent last wrote (edited by hand or an "
                             "interrupted write); regenerated from the sources");
      return "the merged store was modified";
    }
    stamps_moved = true;
  }
  auto index = stat_file(layout.merged_index);
  if (!index) return "the store index is missing";
  if (!(*index == state->index_stamp)) {
    auto loaded = load_index(layout.merged_index);
    if (!loaded || loaded->store_sha256 != state->merged_sha256) return "the store index is stale";
    stamps_moved = true;
  }
  return "";
}

// How the self-check names an anchor: "[3] CN=Example Root (from cainfo.pem)".
std::vector<ExpectedCert> expected_anchors(const std::vector<StoreEntry>& anchors) {
  std::vector<ExpectedCert> out;
  out.reserve(anchors.size());
  for (size_t k = 0; k < anchors.size(); ++k) {
    out.push_back({anchors[k].der, "[" + std::to_string(k + 1) + "] " + anchors[k].info->subject +
                                       " (from " + anchors[k].sources.front() + ")"});
  }
  return out;
}

// Belt and braces before a file is called harmless: no certificate or key marker anywhere in its
// bytes, whatever any reader made of them (an SSH2 key is not PEM, and still a key).
bool mentions_certificate_or_key(std::string_view content) {
  for (std::string_view marker : {"BEGIN CERTIFICATE", "BEGIN X509 CERTIFICATE",
                                  "BEGIN TRUSTED CERTIFICATE", "PRIVATE KEY"}) {
    if (content.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

// The certificates of one source's bytes that may be anchors; what is skipped goes to the report.
std::vector<RawCert> certificates_of(const SourceSpec& spec, std::string_view content,
                                     CertCache& cache, MergeReport& report) {
  ReadResult read = split_certificates(content);
  std::vector<std::string_view> ours;
  for (const auto& c : read.certs) ours.push_back(c.der);
  std::vector<std::string> hidden = certificates_only_openssl_sees(content, ours);
  for (const auto& der : hidden) {
    report.skipped.push_back(
        {spec.display, 0,
         "OpenSSL's reader finds a certificate (sha256 " + hash_hex(der) +
             ") in text that is not a PEM block at a line's start; not trusted (rewrite the "
             "file: other programs reading it directly would trust it)"});
  }
  if (!spec.directory.empty() && hidden.empty() && read.holds_no_certificate_at_all() &&
      !mentions_certificate_or_key(content)) {
    std::string reason = read.warnings.empty() ? "no certificate" : read.warnings.front().reason;
    if (auto cut = reason.rfind(", skipped"); cut != std::string::npos) reason.resize(cut);
    report.not_certificates.push_back({spec.display, 0, reason});
    return {};
  }
  for (auto& w : read.warnings) report.skipped.push_back({spec.display, w.block, w.reason});
  if (read.more_warnings > 0) {
    report.skipped.push_back({spec.display, 0,
                              std::to_string(read.more_warnings) +
                                  " more blocks skipped (the first " +
                                  std::to_string(kMaxReadWarnings) + " are listed)"});
  }
  std::vector<RawCert> out;
  for (auto& raw : read.certs) {
    if (cache.find(raw.sha256) == nullptr) {
      auto cert = Certificate::from_der(raw.der);
      if (!cert) {
        report.skipped.push_back({spec.display, raw.block,
                                  "malformed certificate (" + cert.error().message + "), skipped"});
        continue;
      }
      if (std::string defect = store_defect(*cert); !defect.empty()) {
        report.skipped.push_back({spec.display, raw.block, defect + ", skipped"});
        continue;
      }
      cache.insert(raw.sha256, cert->info());
    }
    out.push_back(std::move(raw));
  }
  return out;
}

}  // namespace

const char* source_status_name(SourceStatus status) {
  switch (status) {
    case SourceStatus::kOk:
      return "ok";
    case SourceStatus::kMissing:
      return "missing";
    case SourceStatus::kRefused:
      return "refused";
  }
  return "refused";
}

std::optional<SourceStatus> source_status_from(std::string_view name) {
  for (auto s : {SourceStatus::kOk, SourceStatus::kMissing, SourceStatus::kRefused}) {
    if (name == source_status_name(s)) return s;
  }
  return std::nullopt;
}

bool MergeReport::clean() const {
  if (!skipped.empty()) return false;
  for (const auto& s : sources) {
    if (s.status == SourceStatus::kRefused) return false;
  }
  return true;
}

namespace {

void note_unlisted_sources(const std::optional<MergeState>& state,
                           const std::vector<SourceSpec>& specs, MergeReport& report) {
  if (!state || report.removed.empty()) return;
  for (const auto& old : state->sources) {
    bool listed = std::any_of(specs.begin(), specs.end(),
                              [&](const SourceSpec& s) { return s.path == old.report.path; });
    if (listed || old.report.anchors == 0) continue;
    report.unlisted_sources.push_back(old.report.path);
    report.notes.push_back(
        old.report.display +
        " is no longer a source (it was named for one command, or by a "
        "policy that no longer names it): its anchors left the store. To keep a CA file for "
        "good, add 'ca-file = " +
        old.report.path + "' to trustagent.conf");
  }
}

}  // namespace

namespace {

// Every source's probe, with the agent's own outputs refused as sources: read back, the store
// would keep every anchor it ever had.
std::vector<Probed> probe_sources(const Layout& layout, const std::vector<SourceSpec>& specs) {
  std::vector<Probed> probed(specs.size());
  const AgentOutputs own_outputs(layout);
  for (size_t i = 0; i < specs.size(); ++i) {
    probed[i].probe = probe_source(specs[i].path);
    if (probed[i].probe.presence == Presence::kPresent && own_outputs.contain(specs[i].path)) {
      probed[i].probe.presence = Presence::kRefused;
      probed[i].probe.reason =
          "is trustagent's own output (the merged store, its index or its hashed directory), "
          "never a source";
    }
  }
  return probed;
}

// Nothing changed: the last report stands. Sources touched but identical get their new stamps
// recorded, so the next check is a stat again.
Result<MergeReport> keep_unchanged(const Layout& layout, const std::vector<SourceSpec>& specs,
                                   const MergeState& state, const std::vector<Probed>& probed,
                                   bool stamps_moved) {
  if (stamps_moved) {
    MergeState next = state;
    for (size_t i = 0; i < specs.size(); ++i) {
      if (probed[i].probe.presence == Presence::kPresent)
        next.sources[i].stamp = probed[i].probe.stamp;
    }
    if (auto s = stat_file(layout.merged)) next.merged_stamp = *s;
    if (auto s = stat_file(layout.merged_index)) next.index_stamp = *s;
    if (auto saved = save_merge_state(layout.merge_state, next); !saved) return saved.error();
  }
  return report_from_state(state);
}

// The store being built: each source's record, and the anchors in source order, each once.
struct Collected {
  MergeState next;
  std::vector<std::vector<RawCert>> per_source;  // owns the bytes the anchors point into
  std::vector<StoreEntry> anchors;
  std::unordered_map<Sha256, size_t, DigestHash> position;  // index in anchors
  bool any_present = false;  // some source exists (present or refused), so empty is suspicious
};

// One source's bytes: reused from the change check, or read now. An untouched file (same stamp)
// keeps its recorded hash.
void read_content(const SourceSpec& spec, const SourceState* was, Probed& p, SourceState& s) {
  if (!p.content && was && was->report.path == spec.path && was->stamp == p.probe.stamp &&
      !was->content_sha256.empty()) {
    if (auto content = read_source_file(spec.path, kMaxSourceBytes, &p.probe.stamp)) {
      p.content = std::move(*content);
      p.content_sha256 = was->content_sha256;
    }
  }
  if (p.content) return;
  auto content = read_source_file(spec.path, kMaxSourceBytes, &p.probe.stamp);
  if (content) {
    p.content_sha256 = hash_hex(*content);
    p.content = std::move(*content);
  } else {
    s.report.status = SourceStatus::kRefused;
    s.report.reason = content.error().message;
  }
}

Collected collect_anchors(const std::vector<SourceSpec>& specs, std::vector<Probed>& probed,
                          const std::optional<MergeState>& state, CertCache& cache,
                          MergeReport& report) {
  Collected c;
  std::vector<std::vector<RawCert>>& per_source = c.per_source;
  per_source.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    SourceState s;
    s.report = {specs[i].path,          specs[i].display,
                specs[i].directory,     status_of(probed[i].probe.presence),
                probed[i].probe.reason, 0};
    s.stamp = probed[i].probe.stamp;
    Probed& p = probed[i];
    c.any_present = c.any_present || p.probe.presence != Presence::kMissing;
    if (p.probe.presence == Presence::kPresent) {
      const SourceState* was = state && i < state->sources.size() ? &state->sources[i] : nullptr;
      read_content(specs[i], was, p, s);
    }
    if (p.content) {
      s.content_sha256 = p.content_sha256;
      per_source[i] = certificates_of(specs[i], *p.content, cache, report);
      s.report.anchors = static_cast<int>(per_source[i].size());
      // The certificates now hold their own bytes; drop the file's (tens of MB at 10,000 anchors).
      p.content.reset();
    }
    c.next.sources.push_back(std::move(s));
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    for (auto& raw : per_source[i]) {
      auto [it, inserted] = c.position.emplace(raw.sha256, c.anchors.size());
      if (!inserted) {
        auto& srcs = c.anchors[it->second].sources;
        if (srcs.back() != specs[i].display) srcs.push_back(specs[i].display);
        ++report.duplicates;
        continue;
      }
      c.anchors.push_back({cache.find(raw.sha256), raw.der, {specs[i].display}});
    }
  }
  return c;
}

// A source that gave anchors last time and still exists but now yields none was truncated or
// damaged, not emptied on purpose (the agent deletes a managed source it empties, and an admin
// removes a file from the configuration); and a store never becomes empty by accident. Dropping
// the anchors could cut the endpoint off.
std::optional<Error> refuse_to_lose_anchors(const Layout& layout, const std::vector<Probed>& probed,
                                            const std::optional<MergeState>& state,
                                            const Collected& c, size_t anchors_before) {
  for (size_t i = 0; state && i < c.next.sources.size(); ++i) {
    const SourceReport& now = c.next.sources[i].report;
    if (probed[i].probe.presence != Presence::kPresent || now.anchors > 0) continue;
    for (const auto& was : state->sources) {
      if (was.report.path != now.path || was.report.anchors == 0) continue;
      std::string now_is = now.status == SourceStatus::kRefused
                               ? "is now unreadable (" + now.reason + ")"
                               : "now holds none";
      return make_error(Code::kBadInput,
                        now.display + " held " + std::to_string(was.report.anchors) +
                            " certificates at the last merge and " + now_is +
                            "; refusing to drop them: " + layout.merged +
                            " is unchanged (fix the source, or merge --allow-empty if intended)");
    }
  }
  if (!c.anchors.empty() || anchors_before == 0 || !c.any_present) return std::nullopt;
  std::string problems;
  for (const auto& s : c.next.sources) {
    if (s.report.status == SourceStatus::kMissing) continue;
    if (!problems.empty()) problems += ", ";
    problems += s.report.display + (s.report.status == SourceStatus::kRefused
                                        ? " (refused: " + s.report.reason + ")"
                                        : " (no certificates)");
  }
  return make_error(Code::kBadInput,
                    "refusing to replace a store of " + std::to_string(anchors_before) +
                        " anchors with an empty one: " + problems + "; " + layout.merged +
                        " is unchanged (merge --allow-empty if this is intended)");
}

void note_changes(const std::vector<AnchorChange>& before, const std::vector<IndexEntry>& now,
                  MergeReport& report) {
  std::unordered_set<std::string> was, now_hex;
  for (const auto& e : now) now_hex.insert(e.sha256);
  for (const auto& b : before) {
    was.insert(b.sha256);
    if (!now_hex.count(b.sha256)) report.removed.push_back(b);
  }
  for (const auto& e : now) {
    if (!was.count(e.sha256)) report.added.push_back({e.sha256, e.subject});
  }
}

// Writes the store and its index, unless identical bytes are on disk already (a source that adds
// nothing, a touched file): then the file, its inode and its readers stay undisturbed, and no
// hook is told. The index carries what the store's comments may cut short (every source's full
// name), so identical store bytes are not enough: the index must be identical too.
Result<void> write_store(const Layout& layout, const RenderedStore& rendered,
                         const std::string& store_sha256, const Collected& c,
                         const std::optional<MergeState>& state, bool force, MergeReport& report) {
  std::string index_text = render_index(rendered.index, store_sha256);
  bool already_current = !force && state && store_sha256 == state->merged_sha256 &&
                         stat_file(layout.merged) == state->merged_stamp &&
                         stat_file(layout.merged_index) == state->index_stamp && [&] {
                           auto on_disk = read_source_file(layout.merged_index);
                           return on_disk && *on_disk == index_text;
                         }();
  if (already_current) {
    report.regenerated = false;
    report.why.clear();
    return {};
  }
  if (auto checked = check_reads_back(rendered.text, expected_anchors(c.anchors), layout.merged);
      !checked) {
    return checked;
  }
  // Store first, then its index, then the records that describe them: a crash in between is
  // detected at the next run (stamps differ) and repaired by regenerating.
  if (auto w = write_file_atomic(layout.merged, rendered.text); !w) return w;
  return write_file_atomic(layout.merged_index, index_text);
}

// The cache (only what the store holds) and the record the next no-change check compares with.
Result<void> save_records(const Layout& layout, const CertCache& cache, bool force, Collected& c,
                          const std::string& store_sha256, const MergeReport& report) {
  if (cache.dirty() || force) {
    std::unordered_set<Sha256, DigestHash> kept;
    for (const auto& [digest, at] : c.position) kept.insert(digest);
    if (auto w = cache.save(layout.cert_cache, kept); !w) return w;
  }
  MergeState& next = c.next;
  next.merged_sha256 = store_sha256;
  if (auto s = stat_file(layout.merged)) next.merged_stamp = *s;
  if (auto s = stat_file(layout.merged_index)) next.index_stamp = *s;
  next.anchors = static_cast<int>(c.anchors.size());
  next.duplicates = report.duplicates;
  next.skipped = report.skipped;
  next.not_certificates = report.not_certificates;
  return save_merge_state(layout.merge_state, next);
}

}  // namespace

Result<MergeReport> update_store(const Layout& layout, const std::vector<SourceSpec>& specs,
                                 const MergeOptions& options, CertCache* shared_cache) {
  for (const auto& dir : {layout.etc_dir, layout.state_dir}) {
    if (auto made = make_directories(dir); !made) return made.error();
    sweep_stale_temporaries(dir);
  }
  // Everywhere else the agent writes under the lock: a kill there leaves temporaries too.
  for (const auto& dir : {layout.var_dir, layout.policies_dir}) sweep_stale_temporaries(dir);
  MergeReport report;
  std::optional<MergeState> state = load_merge_state(layout.merge_state);
  std::vector<Probed> probed = probe_sources(layout, specs);
  bool stamps_moved = false;
  std::string why =
      options.force ? "forced" : why_regenerate(layout, specs, state, probed, stamps_moved, report);
  if (why.empty()) return keep_unchanged(layout, specs, *state, probed, stamps_moved);
  report.regenerated = true;
  report.why = why;

  // Parsing happens only for certificates the cache has not seen.
  CertCache own_cache;
  if (shared_cache == nullptr) own_cache = CertCache::load(layout.cert_cache);
  CertCache& cache = shared_cache != nullptr ? *shared_cache : own_cache;
  Collected collected = collect_anchors(specs, probed, state, cache, report);
  std::vector<AnchorChange> before = previous_anchors(layout);
  if (!options.allow_empty) {
    if (auto refused = refuse_to_lose_anchors(layout, probed, state, collected, before.size())) {
      return *refused;
    }
  }
  RenderedStore rendered = render_store(collected.anchors);
  std::string store_sha256 = hash_hex(rendered.text);
  note_changes(before, rendered.index, report);
  note_unlisted_sources(state, specs, report);
  if (auto w = write_store(layout, rendered, store_sha256, collected, state, options.force, report);
      !w) {
    return w.error();
  }
  if (auto w = save_records(layout, cache, options.force, collected, store_sha256, report); !w) {
    return w.error();
  }
  report.anchors = static_cast<int>(collected.anchors.size());
  for (const auto& s : collected.next.sources) report.sources.push_back(s.report);
  return report;
}

Result<MergeReport> last_merge_report(const Layout& layout) {
  auto state = load_merge_state(layout.merge_state);
  if (!state || !stat_file(layout.merged)) {
    return make_error(Code::kBadInput, layout.merged + ": no store has been written yet");
  }
  return report_from_state(*state);
}

Result<std::vector<Anchor>> load_anchors(const Layout& layout) {
  auto index = load_index(layout.merged_index);
  if (!index) {
    return make_error(Code::kBadInput,
                      layout.merged_index + ": missing or damaged; run merge --force");
  }
  CertCache cache = CertCache::load(layout.cert_cache);
  std::optional<std::string> store;
  std::vector<Anchor> out;
  for (const auto& e : index->entries) {
    Anchor a;
    a.index = e.index;
    a.sources = e.sources;
    if (const CertInfo* info = cache.find(e.sha256)) {
      a.info = *info;
    } else {
      // The cache is an accelerator only: fall back to the certificate in the store.
      if (!store) {
        auto content = read_source_file(layout.merged);
        if (!content) return content.error();
        store = std::move(*content);
      }
      if (e.offset + e.length > store->size()) {
        return make_error(Code::kBadInput, layout.merged_index + ": stale; run merge --force");
      }
      ReadResult read = read_certificates(std::string_view(*store).substr(e.offset, e.length));
      if (read.certs.size() != 1) {
        return make_error(Code::kBadInput, layout.merged_index + ": stale; run merge --force");
      }
      auto cert = Certificate::from_der(read.certs[0].der);
      if (!cert) return cert.error();
      a.info = cert->info();
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace trust
