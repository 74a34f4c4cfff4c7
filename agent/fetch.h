// fetch: what `aex-getsscert` should have been. Connect WITHOUT trusting, capture the chain the
// server presents, and choose the certificate to trust. Whether to trust it is the caller's
// decision (a fingerprint that matches, a pin of the policy in force that matches, an explicit
// trust-on-first-use, or a person at a terminal);
// storing it goes through the agent-managed sources like any other anchor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/connector.h"
#include "trust/fingerprint.h"
#include "trust/pin.h"
#include "trust/result.h"

namespace agent {

// The chain as presented, leaf first. Network failures are Code::kNetwork, TLS failures kRefused.
trust::Result<std::vector<PresentedCert>> fetch_chain(const std::string& target,
                                                      double timeout_seconds);

// "leaf", "root" (the self-signed one, wherever it was sent; kBadInput when none was, as for
// `add --pick root`), or N (1-based position in the chain). Empty means the default: the root
// when the server sends one, else the last certificate the server sent.
trust::Result<size_t> pick_certificate(const std::vector<PresentedCert>& chain,
                                       const std::string& pick);

bool fingerprint_matches(const trust::Fingerprint& fingerprint, const trust::CertInfo& cert);

// What the pins in force (policy SSLNSPublicHttpsCertFingerprint, as connect applies them) say of
// the presented leaf. kMismatch means connect would refuse this server with pin_mismatch.
enum class PinVerdict { kNoPins, kMatches, kMismatch };
PinVerdict check_pins(const std::vector<trust::Pin>& pins, const PresentedCert& leaf);

// What may make a fetched certificate trusted, in this order: a --fingerprint that matches it, a
// pin of the policy in force that matches the leaf, --trust-on-first-use (never against a pin
// that names another certificate), a person at a terminal. Nothing else: without a terminal,
// the answer is no.
struct TrustInputs {
  std::optional<trust::Fingerprint> expected;  // --fingerprint
  PinVerdict pins = PinVerdict::kNoPins;       // of the server's leaf
  std::string pinned_by;                       // "policy GUID", for messages
  bool first_use = false;                      // --trust-on-first-use
  bool terminal = false;                       // a person can be asked
};

struct TrustDecision {
  enum class Basis { kFingerprint, kPin, kFirstUse, kAskPerson, kRefused };
  Basis basis = Basis::kRefused;
  std::string message;  // why it is refused, or what to say before storing (loudly on first use)
};

// "" when `stored` is a root; otherwise why only partial-chain clients (curl, trustagent) accept
// the server with it as the anchor, and what to do about it.
std::string partial_chain_warning(const trust::CertInfo& stored);

// `picked` is the certificate to store (1-based `position` in the chain), `leaf` the server's.
TrustDecision decide_trust(const TrustInputs& in, const PresentedCert& picked, size_t position,
                           const PresentedCert& leaf);

}  // namespace agent
