#include "agent/fetch.h"

#include <charconv>

#include "trust/certificate.h"

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
  if (!outcome->ok()) {
    trust::Error e = *outcome->failure;
    e.message = outcome->url + ": " + e.message;
    return e;
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
