#include "agent/reserve_review.h"

#include <optional>

#include "trust/merge.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

constexpr int kMaxChain = 8;

// The store's certificate whose subject is `issuer` and that signed `child`, if there is one.
std::optional<trust::Certificate> issuer_in_store(const trust::Layout& layout,
                                                  const std::vector<trust::Anchor>& anchors,
                                                  const trust::Certificate& child) {
  std::string issuer = child.info().issuer;
  std::optional<trust::ReadResult> store;
  for (const auto& a : anchors) {
    if (a.info.subject != issuer) continue;
    if (!store) {
      auto text = trust::read_source_file(layout.merged);
      if (!text) return std::nullopt;
      store = trust::split_certificates(*text);
    }
    for (const auto& raw : store->certs) {
      if (trust::to_hex(raw.sha256) != a.info.sha256) continue;
      auto cert = trust::Certificate::from_der(raw.der);
      if (cert && X509_check_issued(cert->x509_ptr(), child.x509_ptr()) == X509_V_OK) {
        return std::optional<trust::Certificate>(std::move(*cert));
      }
    }
  }
  return std::nullopt;
}

// The root a certificate chains to through the store's anchors, by name: the self-signed top, or
// the name of the issuer the store does not hold.
std::string root_name(const trust::CertInfo& start, const std::vector<trust::Anchor>& anchors) {
  trust::CertInfo at = start;
  for (int depth = 0; depth < kMaxChain && !at.self_signed; ++depth) {
    const trust::Anchor* up = nullptr;
    for (const auto& a : anchors) {
      if (a.info.subject == at.issuer && a.info.sha256 != at.sha256) up = &a;
    }
    if (!up) return at.issuer;
    at = up->info;
  }
  return at.subject;
}

std::vector<std::string> root_notes(const std::vector<trust::Certificate>& chain,
                                    const std::vector<trust::Anchor>& anchors) {
  std::vector<std::string> notes;
  trust::CertInfo leaf = chain.front().info();
  if (leaf.self_signed) return notes;
  const trust::CertInfo& top = chain.back().info();
  std::string reserve_root = top.self_signed ? top.subject : root_name(top, anchors);
  for (const auto& a : anchors) {
    if (a.info.subject != leaf.subject || a.info.sha256 == leaf.sha256) continue;
    std::string current_root = root_name(a.info, anchors);
    notes.push_back(current_root == reserve_root
                        ? "chains to the same root as the current certificate " + a.info.sha256 +
                              " (" + reserve_root + ")"
                        : "does NOT chain to the same root as the current certificate " +
                              a.info.sha256 + ": " + reserve_root + " instead of " + current_root +
                              "; clients that trust only the current root will refuse the server "
                              "once it switches");
  }
  return notes;
}

}  // namespace

trust::Result<ReserveReview> review_reserve(const trust::Layout& layout,
                                            const std::vector<std::string>& ders, int64_t now) {
  std::vector<trust::Certificate> certs;
  for (const auto& der : ders) {
    auto cert = trust::Certificate::from_der(der);
    if (!cert) return trust::make_error(trust::Code::kBadInput, cert.error().message);
    certs.push_back(std::move(*cert));
  }
  if (certs.empty()) return ReserveReview{};
  std::vector<trust::Certificate> chain = trust::order_chain(std::move(certs));
  auto anchors = trust::load_anchors(layout);
  std::vector<trust::Anchor> known = anchors ? std::move(*anchors) : std::vector<trust::Anchor>{};
  while (static_cast<int>(chain.size()) < kMaxChain && !chain.back().info().self_signed) {
    auto up = issuer_in_store(layout, known, chain.back());
    if (!up) break;
    chain.push_back(std::move(*up));
  }
  ReserveReview review;
  review.findings = trust::lint_chain(chain, trust::LintProfile::kCommon, "", now);
  // A CA as a reserve (a root being rolled over) is no server certificate: of the profile, only
  // what makes any certificate unfit holds for it.
  if (chain.front().info().is_ca) {
    std::erase_if(review.findings, [](const trust::LintFinding& f) {
      return f.code != "key_too_small" && f.code != "signature_not_sha2" && f.code != "expired" &&
             f.code != "not_yet_valid";
    });
  }
  review.notes = root_notes(chain, known);
  return review;
}

}  // namespace agent
