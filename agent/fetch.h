// fetch: what `aex-getsscert` should have been. Connect WITHOUT trusting, capture the chain the
// server presents, and choose the certificate to trust. Whether to trust it is the caller's
// decision (a fingerprint that matches, a pin of the policy in force that matches, an explicit
// trust-on-first-use, or a person at a terminal);
// storing it goes through the agent-managed sources like any other anchor.
#pragma once

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

// "leaf", "root" (the last certificate sent), or N (1-based position in the chain). Empty means the
// default: the leaf if it is self-signed, else the last certificate the server sent.
trust::Result<size_t> pick_certificate(const std::vector<PresentedCert>& chain,
                                       const std::string& pick);

bool fingerprint_matches(const trust::Fingerprint& fingerprint, const trust::CertInfo& cert);

// What the pins in force (policy SSLNSPublicHttpsCertFingerprint, as connect applies them) say of
// the presented leaf. kMismatch means connect would refuse this server with pin_mismatch.
enum class PinVerdict { kNoPins, kMatches, kMismatch };
PinVerdict check_pins(const std::vector<trust::Pin>& pins, const PresentedCert& leaf);

}  // namespace agent
