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
  if (pick == "root") {
    // The self-signed one wherever it was sent; never the top of a chain that has no root, which
    // `add --pick root` refuses the same way.
    for (size_t i = chain.size(); i-- > 0;) {
      if (chain[i].info.self_signed) return i;
    }
    const trust::CertInfo& top = chain.back().info;
    return trust::make_error(trust::Code::kBadInput,
                             "--pick root: the chain holds no root; it ends at " + top.subject +
                                 ", issued by " + top.issuer + " (--pick " +
                                 std::to_string(chain.size()) + " takes that one anyway)");
  }
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

std::string partial_chain_warning(const trust::CertInfo& stored) {
  if (stored.self_signed) return "";
  // OpenSSL's verify, Python and Node need the root.
  return "the stored anchor '" + stored.subject +
         "' is not a root, and the server does not send its issuer '" + stored.issuer +
         "': curl and trustagent accept the server, openssl verify, Python and Node do not. Get "
         "that root from its CA, check its fingerprint, and add it: trustagent add ROOT.pem";
}

TrustDecision decide_trust(const TrustInputs& in, const PresentedCert& picked, size_t position,
                           const PresentedCert& leaf) {
  using Basis = TrustDecision::Basis;
  const trust::CertInfo& cert = picked.info;
  if (in.expected) {
    if (fingerprint_matches(*in.expected, cert)) return {Basis::kFingerprint, ""};
    return {Basis::kRefused, "fingerprint mismatch: expected " + in.expected->hex +
                                 ", the server's certificate [" + std::to_string(position) +
                                 "] has sha256 " + cert.sha256 + " (sha1 " + cert.sha1 + ")"};
  }
  if (in.pins == PinVerdict::kMatches) {
    return {Basis::kPin, "the server's certificate matches the pin of " + in.pinned_by};
  }
  if (in.first_use && in.pins == PinVerdict::kMismatch) {
    return {Basis::kRefused, "trust on first use refused: " + in.pinned_by +
                                 " pins another certificate than the one this server presents "
                                 "(sha256 " +
                                 leaf.info.sha256 + "); pass --fingerprint to store it anyway"};
  }
  if (in.first_use) {
    return {Basis::kFirstUse, "trusting on first use: " + cert.subject + " sha256 " + cert.sha256};
  }
  if (in.terminal) return {Basis::kAskPerson, ""};
  return {Basis::kRefused, "no terminal to ask: pass --fingerprint " + cert.sha256 +
                               " after checking it, or --trust-on-first-use"};
}

}  // namespace agent
