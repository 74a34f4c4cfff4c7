#include "agent/reserve_review.h"

#include <openssl/x509v3.h>

#include <optional>

#include "trust/merge.h"
#include "trust/server_identity.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

constexpr int kMaxChain = 8;

// The merged store's certificates, parsed only when one is wanted.
class StoreCerts {
 public:
  explicit StoreCerts(const trust::Layout& layout) : layout_(layout) {
    if (auto a = trust::load_anchors(layout)) anchors_ = std::move(*a);
  }
  const std::vector<trust::Anchor>& anchors() const { return anchors_; }

  // The anchor that issued `child` (names and key identifiers agree), if the store holds one.
  std::optional<trust::Certificate> issuer_of(const trust::Certificate& child) {
    std::string issuer = child.info().issuer;
    for (const auto& a : anchors_) {
      if (a.info.subject != issuer) continue;
      auto cert = by_sha256(a.info.sha256);
      if (cert && X509_check_issued(cert->x509_ptr(), child.x509_ptr()) == X509_V_OK) return cert;
    }
    return std::nullopt;
  }

  std::optional<trust::Certificate> by_sha256(const std::string& sha) {
    if (!raw_) {
      auto text = trust::read_source_file(layout_.merged);
      raw_ = text ? trust::split_certificates(*text) : trust::ReadResult{};
    }
    for (const auto& r : raw_->certs) {
      if (trust::to_hex(r.sha256) != sha) continue;
      auto cert = trust::Certificate::from_der(r.der);
      if (cert) return std::optional<trust::Certificate>(std::move(*cert));
    }
    return std::nullopt;
  }

 private:
  trust::Layout layout_;
  std::vector<trust::Anchor> anchors_;
  std::optional<trust::ReadResult> raw_;
};

// `chain` completed upwards from the store, as far as the store knows issuers.
void complete(std::vector<trust::Certificate>& chain, StoreCerts& store) {
  while (static_cast<int>(chain.size()) < kMaxChain && !chain.back().info().self_signed) {
    auto up = store.issuer_of(chain.back());
    if (!up) return;
    chain.push_back(std::move(*up));
  }
}

// The leaves of `certs` (those that issued none of the others), each with its chain: the file's
// certificates above it, then the store's.
std::vector<std::vector<trust::Certificate>> chains_of(const std::vector<trust::Certificate>& certs,
                                                       StoreCerts& store) {
  std::vector<std::vector<trust::Certificate>> out;
  for (size_t i = 0; i < certs.size(); ++i) {
    bool issuer = false;
    for (size_t j = 0; j < certs.size(); ++j) {
      if (i != j && X509_check_issued(certs[i].x509_ptr(), certs[j].x509_ptr()) == X509_V_OK) {
        issuer = true;
      }
    }
    if (issuer) continue;
    std::vector<trust::Certificate> chain;
    chain.push_back(*trust::Certificate::from_der(std::string(certs[i].der())));
    for (int depth = 0; depth < kMaxChain && !chain.back().info().self_signed; ++depth) {
      const trust::Certificate* up = nullptr;
      for (const auto& c : certs) {
        if (X509_check_issued(c.x509_ptr(), chain.back().x509_ptr()) == X509_V_OK) up = &c;
      }
      if (!up) break;
      chain.push_back(*trust::Certificate::from_der(std::string(up->der())));
    }
    complete(chain, store);
    out.push_back(std::move(chain));
  }
  return out;
}

// The root's fingerprint ("" when the chain does not reach a self-signed root) and a name.
std::pair<std::string, std::string> root_of(const std::vector<trust::Certificate>& chain) {
  const trust::CertInfo top = chain.back().info();
  if (!top.self_signed) return {"", "an issuer the store does not hold (" + top.issuer + ")"};
  return {top.sha256, top.subject + " sha256 " + top.sha256};
}

std::vector<std::string> root_notes(const std::vector<trust::Certificate>& chain,
                                    StoreCerts& store) {
  std::vector<std::string> notes;
  trust::CertInfo leaf = chain.front().info();
  if (leaf.self_signed) return notes;
  auto [reserve_root, reserve_name] = root_of(chain);
  for (const auto& a : store.anchors()) {
    if (!trust::same_server(a.info, leaf) || a.info.sha256 == leaf.sha256) continue;
    auto current = store.by_sha256(a.info.sha256);
    if (!current) continue;
    std::vector<trust::Certificate> current_chain;
    current_chain.push_back(std::move(*current));
    complete(current_chain, store);
    auto [current_root, current_name] = root_of(current_chain);
    bool same = !reserve_root.empty() && reserve_root == current_root;
    notes.push_back(same ? "chains to the same root as the current certificate " + a.info.sha256 +
                               " (" + reserve_name + ")"
                         : "does NOT chain to the same root as the current certificate " +
                               a.info.sha256 + ": " + reserve_name + " instead of " + current_name +
                               "; clients that trust only the current root will refuse the "
                               "server once it switches");
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
  StoreCerts store(layout);
  ReserveReview review;
  // Every leaf of the file is checked with its chain, whatever order the file is in.
  for (const auto& chain : chains_of(certs, store)) {
    auto findings = trust::lint_chain(chain, trust::LintProfile::kCommon, "", now);
    // A CA as a reserve (a root being rolled over) is no server certificate: of the profile,
    // only what makes any certificate unfit holds for it.
    if (chain.front().info().is_ca) {
      std::erase_if(findings, [](const trust::LintFinding& f) {
        return f.code != "key_too_small" && f.code != "signature_not_sha2" && f.code != "expired" &&
               f.code != "not_yet_valid";
      });
    }
    review.findings.insert(review.findings.end(), findings.begin(), findings.end());
    for (auto& n : root_notes(chain, store)) review.notes.push_back(std::move(n));
  }
  return review;
}

}  // namespace agent
