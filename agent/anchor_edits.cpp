#include "agent/anchor_edits.h"

#include "agent/certificate_file.h"
#include "agent/reserve_review.h"
#include "policy/source_list.h"
#include "trust/source_reader.h"
#include "trust/store_index.h"

namespace agent {
namespace {

// Names the admin-owned file an anchor comes from, so the refusal says where to look.
std::string admin_source_of(const trust::Layout& layout, const trust::Fingerprint& fp) {
  auto index = trust::load_index(layout.merged_index);
  if (!index) return "";
  for (const auto& e : index->entries) {
    bool hit = fp.algorithm == trust::Fingerprint::Algorithm::kSha256 ? e.sha256 == fp.hex
                                                                      : e.sha1 == fp.hex;
    if (hit && !e.sources.empty()) return e.sources.front();
  }
  return "";
}

// The review's findings: an error without --force, warnings with it.
std::optional<trust::Error> findings_refusal(const ReserveFileRequest& request,
                                             const ReserveReview& review, const Log& log) {
  if (review.findings.empty()) return std::nullopt;
  std::string all;
  for (const auto& f : review.findings) {
    if (request.force) log.warning("--force: " + request.file + ": " + f.code + ": " + f.message);
    all += (all.empty() ? "" : "; ") + f.code + ": " + f.message;
  }
  if (request.force) return std::nullopt;
  return trust::make_error(trust::Code::kBadInput,
                           request.file + ": does not meet the common certificate requirements (" +
                               all + "); fix it, or --force");
}

struct ReserveCandidates {
  std::vector<std::string> reviewed;  // what the review sees: the file's certificates
  std::vector<std::string> reserves;  // what becomes a reserve
};

trust::Result<ReserveCandidates> reserve_candidates(const ReserveFileRequest& request,
                                                    const Log& log) {
  auto container = certificates_to_import(request.file, request.password, "");
  if (!container) return container.error();
  ReserveCandidates out;
  if (*container) {
    auto leaf = certificates_to_import(request.file, request.password, "leaf");
    if (!leaf) return leaf.error();
    out.reserves = std::move(**leaf);
    out.reviewed = std::move(**container);
    return out;
  }
  auto content = trust::read_source_file(request.file);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  if (read.certs.empty()) {
    return trust::make_error(trust::Code::kBadInput, request.file + ": no certificate in it");
  }
  for (const auto& w : read.warnings) log.warning(trust::describe(request.file, w));
  for (auto& c : read.certs) out.reviewed.push_back(std::move(c.der));
  out.reserves = out.reviewed;
  return out;
}

}  // namespace

trust::Result<trust::AddOutcome> import_certificates(const trust::Layout& layout,
                                                     trust::CertCache& cache,
                                                     const ImportRequest& request) {
  std::string target = request.site ? layout.cainfo_ss : layout.cainfo;
  auto ders = certificates_to_import(request.file, request.password, request.pick);
  if (!ders) return ders.error();
  auto added = *ders ? trust::add_ders_to_managed_source(**ders, target, &cache)
                     : trust::add_to_managed_source(request.file, target, &cache);
  if (!added) return added;
  // Added back by a person: out of retired.pem, and never retired or pruned again.
  std::vector<std::string> shas;
  for (const auto& list : {added->added, added->already_present}) {
    for (const auto& c : list) shas.push_back(c.sha256);
  }
  auto restored = trust::restore_retired(layout, shas);
  if (!restored) return restored.error();
  added->restored = std::move(*restored);
  return added;
}

trust::Result<trust::RemoveOutcome> remove_anchor(const trust::Layout& layout,
                                                  const trust::Fingerprint& fingerprint) {
  auto removed =
      trust::remove_from_managed_sources(policy::agent_managed_sources(layout), fingerprint);
  if (removed) {
    trust::forget_restored(layout, removed->removed.sha256);
    return removed;
  }
  if (std::string admin = admin_source_of(layout, fingerprint); !admin.empty()) {
    return trust::make_error(trust::Code::kRefused,
                             "anchor " + fingerprint.hex + " comes from " + admin +
                                 ", which is not agent-managed; trustagent never edits it");
  }
  return removed;
}

trust::Result<trust::ReserveAdded> add_reserve_file(const trust::Layout& layout,
                                                    const ReserveFileRequest& request,
                                                    const Log& log) {
  auto candidates = reserve_candidates(request, log);
  if (!candidates) return candidates.error();
  auto review = review_reserve(layout, candidates->reviewed, request.now);
  if (!review) return review.error();
  if (auto refused = findings_refusal(request, *review, log)) return *refused;
  for (const auto& n : review->notes) log.notice(request.file + ": " + n);
  return trust::add_reserves(layout, candidates->reserves, request.activate_at,
                             trust::ReserveOrigin::command_line(), request.now, request.replaces);
}

}  // namespace agent
