// `trustagent acknowledge CODE FINGERPRINT`: an administrator has seen a warning about one
// certificate and accepts it (a root the organisation keeps past its 397 days, a weak key it
// cannot replace yet). The warning is still shown, as information that does not make `status`
// exit 1. An acknowledgement names one code and one certificate, so a new certificate or a new
// problem warns again; warnings about no certificate (an empty store, a failing central server)
// cannot be acknowledged, nor can those that mean a server is refused now or soon
// (server_certificate_expired, server_not_switched). Kept in <home>/var/state/acknowledged, one
// "code<TAB>sha256" per line.
#pragma once

#include <string>
#include <vector>

#include "trust/anchor_warnings.h"
#include "trust/layout.h"
#include "trust/result.h"

namespace agent {

struct Acknowledgement {
  std::string code, sha256;
  bool operator==(const Acknowledgement&) const = default;
};

std::vector<Acknowledgement> load_acknowledgements(const trust::Layout& layout);

// kBadInput for a code that cannot be acknowledged or a fingerprint that is not SHA-256.
trust::Result<void> acknowledge(const trust::Layout& layout, const Acknowledgement& a);
// kBadInput when there was no such acknowledgement.
trust::Result<void> withdraw_acknowledgement(const trust::Layout& layout, const Acknowledgement& a);

// Acknowledged warnings become information, marked as acknowledged; except a warning about a
// certificate one of the agent's own servers was last seen presenting (`presented`): that server
// is refused now or soon, and no acknowledgement silences it.
void apply_acknowledgements(const std::vector<Acknowledgement>& acks,
                            std::vector<trust::AnchorWarning>& warnings,
                            const std::vector<std::string>& presented = {});

}  // namespace agent
