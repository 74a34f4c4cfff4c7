// Edits the agent-managed sources (cainfo.pem, cainfo-ss.pem, cainfo-reserve.pem): append
// certificates that are not there yet, or take one out. Admin-owned CA files are never written.
// Callers hold the writer lock; every write is atomic. Each write regenerates the whole file from
// the certificates it holds (comments and other text are not kept) and is checked to read back,
// with OpenSSL's reader and trustagent's, as exactly those certificates (pem_parity.h).
#pragma once

#include <string>
#include <vector>

#include "trust/certificate.h"
#include "trust/fingerprint.h"
#include "trust/merge.h"
#include "trust/result.h"

namespace trust {

class CertCache;

struct AddOutcome {
  std::string target;
  std::vector<CertInfo> added, already_present;
  std::vector<Skipped> skipped;       // blocks of the imported file that were not certificates
  std::vector<std::string> restored;  // sha256s brought back from retired.pem (trust/rollover.h)
};

// Imports every certificate of `file` (any accepted format) into `target`, appending only those
// not already there. Fails with kBadInput if `file` holds no certificate. Each certificate is
// decoded once; with `cache`, what was decoded is left there for the merge that follows.
Result<AddOutcome> add_to_managed_source(const std::string& file, const std::string& target,
                                         CertCache* cache = nullptr);

// The same for certificates already in hand (DER), e.g. one a server presented.
Result<AddOutcome> add_ders_to_managed_source(const std::vector<std::string>& ders,
                                              const std::string& target,
                                              CertCache* cache = nullptr);

// One certificate as a managed source holds it: "# <subject>", "# sha256: <hex>", then its PEM.
std::string annotated_certificate(const CertInfo& info, std::string_view der);

// Replaces `path` with exactly these certificates (DER), annotated; refused, and the file left as
// it was, unless both OpenSSL's reader and trustagent's read it back as exactly them.
Result<void> write_managed_source(const std::string& path, const std::vector<std::string>& ders);

struct RemoveOutcome {
  std::vector<std::string> files;  // managed sources it was taken out of
  CertInfo removed;
};

// Takes the certificate with this fingerprint out of every managed source that has it. A source
// left with no certificate is deleted, so an intentionally emptied store is not mistaken for a
// broken one. Fails with kBadInput when no managed source has it.
Result<RemoveOutcome> remove_from_managed_sources(const std::vector<std::string>& managed,
                                                  const Fingerprint& fingerprint);

}  // namespace trust
