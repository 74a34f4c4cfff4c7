// The changes a person makes to the agent-managed sources, as `add`, `remove` and `reserve add`
// make them: each is a Mutation body (agent/store_sync.h), run under the writer lock and followed
// by the merge in the same sync. Admin-owned CA files are never edited.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/log.h"
#include "trust/cert_cache.h"
#include "trust/fingerprint.h"
#include "trust/layout.h"
#include "trust/managed_source.h"
#include "trust/result.h"
#include "trust/rollover.h"

namespace agent {

struct ImportRequest {
  std::string file;
  std::optional<std::string> password;  // a PKCS#12's; nullopt tries none and empty
  std::string pick;                     // "" (all), "leaf", "root" or N (agent/certificate_file.h)
  bool site = false;                    // cainfo-ss.pem instead of cainfo.pem
};

// `add`: FILE's certificates into cainfo.pem (or cainfo-ss.pem), each decoded once and left in
// `cache` for the merge that follows. One that rollover had retired (var/retired.pem) is brought
// back for good: rollover never takes it out again (trust::restore_retired).
trust::Result<trust::AddOutcome> import_certificates(const trust::Layout& layout,
                                                     trust::CertCache& cache,
                                                     const ImportRequest& request);

// `remove`: out of every agent-managed source. An anchor that only an admin-owned file holds is
// refused (kRefused) with that file's name, so the person knows where to look.
trust::Result<trust::RemoveOutcome> remove_anchor(const trust::Layout& layout,
                                                  const trust::Fingerprint& fingerprint);

struct ReserveFileRequest {
  std::string file;
  std::optional<std::string> password;
  std::optional<int64_t> activate_at;  // nullopt: when what it replaces expires
  std::vector<trust::Fingerprint> replaces;
  bool force = false;  // take it despite lint findings, each then logged as a warning
  int64_t now = 0;
};

// `reserve add`: FILE's certificates become reserves, after the review (agent/reserve_review.h):
// findings refuse it (kBadInput, listing them) unless `force`. From a PKCS#12, its chain helps
// the review and only the server's certificate becomes the reserve. Skipped blocks and the
// review's notes are logged.
trust::Result<trust::ReserveAdded> add_reserve_file(const trust::Layout& layout,
                                                    const ReserveFileRequest& request,
                                                    const Log& log);

}  // namespace agent
