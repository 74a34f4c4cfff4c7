#include "agent/certificate_file.h"

#include <openssl/x509v3.h>

#include <cctype>
#include <unordered_map>

#include "agent/fetch.h"
#include "trust/lint.h"
#include "trust/lint_input.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

trust::Result<std::string> pick_one(std::vector<trust::Certificate> certs, const std::string& path,
                                    const std::string& pick) {
  // The leaf issued none of the others; exporters put it anywhere. Only certificates whose issuer
  // name hashes to a candidate's subject are compared: a 100,000-certificate bundle stays linear.
  std::unordered_multimap<unsigned long, size_t> by_issuer;
  for (size_t j = 0; j < certs.size(); ++j) {
    by_issuer.emplace(X509_issuer_name_hash(certs[j].x509_ptr()), j);
  }
  std::vector<size_t> leaves;
  for (size_t i = 0; i < certs.size(); ++i) {
    bool issuer = false;
    auto [from, to] = by_issuer.equal_range(X509_subject_name_hash(certs[i].x509_ptr()));
    for (auto it = from; it != to && !issuer; ++it) {
      issuer = it->second != i &&
               X509_check_issued(certs[i].x509_ptr(), certs[it->second].x509_ptr()) == X509_V_OK;
    }
    if (!issuer) leaves.push_back(i);
  }
  bool by_position = !pick.empty() && std::isdigit(static_cast<unsigned char>(pick[0]));
  if (leaves.size() != 1 && !by_position) {
    return trust::make_error(trust::Code::kBadInput,
                             path + ": " + std::to_string(certs.size()) +
                                 " certificates that are not one chain: --pick N takes the N-th "
                                 "in the file");
  }
  std::vector<trust::Certificate> chain;
  if (leaves.size() == 1) {
    std::swap(certs[0], certs[leaves[0]]);
    chain = trust::order_chain(std::move(certs));
  } else {
    chain = std::move(certs);  // unrelated certificates: the file's own order
  }
  std::vector<PresentedCert> presented;
  for (const auto& c : chain) presented.push_back({c.info(), std::string(c.der())});
  auto at = pick_certificate(presented, pick.empty() ? "leaf" : pick);
  if (!at) return trust::make_error(at.error().code, path + ": " + at.error().message);
  return presented[*at].der;
}

}  // namespace

trust::Result<std::optional<std::vector<std::string>>> certificates_to_import(
    const std::string& path, const std::optional<std::string>& password, const std::string& pick) {
  if (!password && pick.empty()) {
    auto content = trust::read_source_file(path);
    if (!content) return content.error();
    if (!trust::split_certificates(*content).certs.empty()) {
      return std::optional<std::vector<std::string>>();  // the source reader's own path
    }
  }
  auto certs = trust::read_certificate_container(path, password);
  if (!certs) return certs.error();
  std::vector<std::string> ders;
  if (pick.empty()) {
    for (const auto& c : *certs) ders.emplace_back(c.der());
  } else {
    auto one = pick_one(std::move(*certs), path, pick);
    if (!one) return one.error();
    ders.push_back(std::move(*one));
  }
  return std::optional(std::move(ders));
}

trust::Result<std::optional<std::string>> password_from(const std::string& password,
                                                        const std::string& password_file,
                                                        bool given) {
  if (!password_file.empty()) {
    auto text = trust::read_source_file(password_file, 4096);
    if (!text) return text.error();
    std::string first = text->substr(0, text->find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    return std::optional(first);
  }
  if (given) return std::optional(password);
  return std::optional<std::string>();
}

}  // namespace agent
