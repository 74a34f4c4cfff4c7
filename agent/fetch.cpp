#include "agent/fetch.h"

#include <openssl/x509v3.h>

#include <cctype>
#include <charconv>

#include "trust/certificate.h"
#include "trust/lint.h"
#include "trust/source_reader.h"

namespace agent {

trust::Result<std::vector<PresentedCert>> fetch_chain(const std::string& target,
                                                      double timeout_seconds) {
  ConnectRequest request;
  request.target = target;
  request.handshake_only = true;
  request.verify_peer = false;
  request.verify_host = false;
  request.timeout_seconds = timeout_seconds;
  auto outcome = connect(request);
  if (!outcome) return outcome.error();
  if (!outcome->ok) {
    return trust::make_error(outcome->exit_code(), outcome->url + ": " + outcome->message);
  }
  if (outcome->chain.empty()) {
    return trust::make_error(trust::Code::kRefused,
                             outcome->url + ": the server sent no certificate");
  }
  return std::move(outcome->chain);
}

trust::Result<size_t> pick_certificate(const std::vector<PresentedCert>& chain,
                                       const std::string& pick) {
  if (pick.empty()) {
    // The root when the server sends one (wherever in the chain), else the last one sent.
    for (size_t i = chain.size(); i-- > 0;) {
      if (chain[i].info.self_signed) return i;
    }
    return chain.size() - 1;
  }
  if (pick == "leaf") return size_t{0};
  if (pick == "root") return chain.size() - 1;
  size_t n = 0;
  auto [end, ec] = std::from_chars(pick.data(), pick.data() + pick.size(), n);
  if (ec != std::errc() || end != pick.data() + pick.size() || n < 1 || n > chain.size()) {
    return trust::make_error(trust::Code::kBadInput,
                             "--pick " + pick + ": expected leaf, root or a number from 1 to " +
                                 std::to_string(chain.size()));
  }
  return n - 1;
}

trust::Result<std::string> pick_from_file(const std::string& path, const std::string& pick) {
  auto content = trust::read_source_file(path);
  if (!content) return content.error();
  std::vector<trust::Certificate> certs;
  for (auto& raw : trust::read_certificates(*content).certs) {
    if (auto cert = trust::Certificate::from_der(std::move(raw.der)))
      certs.push_back(std::move(*cert));
  }
  if (certs.empty())
    return trust::make_error(trust::Code::kBadInput, path + ": no certificate in it");
  // The leaf issued none of the others; exporters put it anywhere.
  std::vector<size_t> leaves;
  for (size_t i = 0; i < certs.size(); ++i) {
    bool issuer = false;
    for (size_t j = 0; j < certs.size(); ++j) {
      if (i != j && X509_check_issued(certs[i].x509_ptr(), certs[j].x509_ptr()) == X509_V_OK) {
        issuer = true;
      }
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

bool fingerprint_matches(const trust::Fingerprint& fingerprint, const trust::CertInfo& cert) {
  return fingerprint.algorithm == trust::Fingerprint::Algorithm::kSha256
             ? fingerprint.hex == cert.sha256
             : fingerprint.hex == cert.sha1;
}

PinVerdict check_pins(const std::vector<trust::Pin>& pins, const PresentedCert& leaf) {
  if (pins.empty()) return PinVerdict::kNoPins;
  auto cert = trust::Certificate::from_der(leaf.der);
  if (!cert) return PinVerdict::kMismatch;
  for (const auto& pin : pins) {
    if (trust::pin_matches(pin, *cert->x509_ptr())) return PinVerdict::kMatches;
  }
  return PinVerdict::kMismatch;
}

}  // namespace agent
