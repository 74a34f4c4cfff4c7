// trustagent move: re-point the agent at another server (the legacy `klmover`), as a transaction.
//
//  1. The new certificate comes from --cert FILE, or from the new server itself when it presents
//     a certificate with the --fingerprint given (never trusted unseen).
//  2. A connection to the new address must authenticate with exactly that certificate (host name
//     checked unless policy turned it off) before anything is written.
//  3. Under the writer lock: cainfo.pem and trustagent.conf are kept as .bak, cainfo.pem gets the
//     new certificate, `server = host:port` is set, and the store is merged. If any step fails,
//     both files are restored and the store merged back: all or nothing.
//
// With dry_run, steps 1 and 2 run and nothing is written.
#pragma once

#include <string>
#include <vector>

#include "agent/connector.h"
#include "agent/store_sync.h"
#include "trust/result.h"

namespace agent {

// The home that only root may re-point.
inline constexpr const char* kSystemHome = "/opt/trustagent";

struct MoveRequest {
  StoreRequest store;
  std::string host;
  int port = 443;
  std::string cert_file;    // either this…
  std::string fingerprint;  // …or this
  bool dry_run = false;
  double timeout_seconds = 10;
};

struct MoveReport {
  std::string server;                         // host:port as written to the config
  std::vector<trust::CertInfo> certificates;  // what cainfo.pem now holds (or would)
  ConnectOutcome verified;                    // the proof
  bool committed = false;
  std::string cainfo_backup, config_backup;  // "" when there was nothing to keep
  std::vector<std::string> notes;
  StoreOutcome applied;  // when committed
};

// Errors: usage (kBadInput: no --cert/--fingerprint, unreadable file), not root for the system
// home (kRefused), the new server unreachable (kNetwork) or not authenticated by the new
// certificate, or presenting no certificate with the fingerprint (kRefused). Every error leaves
// every file as it was.
trust::Result<MoveReport> move_server(const MoveRequest& request);

}  // namespace agent
