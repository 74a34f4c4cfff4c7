// trustagent move: re-point the agent at another server (the legacy `klmover`), as a transaction.
//
//  1. The new certificate comes from --cert FILE, or from the new server itself when it presents
//     a certificate with the --fingerprint given (never trusted unseen).
//  2. A connection to the new address must authenticate with exactly that certificate (host name
//     checked unless policy turned it off) before anything is written.
//  3. Under the writer lock: cainfo.pem and trustagent.conf are kept as .bak; in cainfo.pem only
//     the old server's certificates are replaced by the new one (every other anchor, a corporate
//     root `add` put there say, stays); `server = host:port` is set where the config reader takes
//     it, comments kept; the written config is read back with the real reader and must name the
//     new server; and the store is merged. If any step fails, both files are restored and the
//     store merged back: all or nothing.
//
// The old server's certificates: those in cainfo.pem that the configured server was last seen
// presenting, or whose DNS/IP names (the CN when there are none) are the old server's host.
// With dry_run, steps 1 and 2 run, the exact additions and removals are reported, and nothing is
// written.
#pragma once

#include <functional>
#include <optional>
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
  std::string cert_file;                     // either this…
  std::optional<std::string> cert_password;  // for a PKCS#12 cert_file (agent/certificate_file.h)
  std::string fingerprint;                   // …or this
  bool dry_run = false;
  double timeout_seconds = 10;
  std::string current_server;  // the configured server; "" : the policy's <Server>, if any
  // The top-level `server` value of a config text, as the real config reader takes it.
  std::function<std::optional<std::string>(const std::string& config_text)> server_in_config;
};

struct MoveReport {
  std::string server;                           // host:port as written to the config
  std::vector<trust::CertInfo> certificates;    // the new server's certificate(s)
  std::vector<trust::CertInfo> added, removed;  // in cainfo.pem (or, on a dry run, would be)
  std::string old_server;                       // the server setting replaced, "" if none
  ConnectOutcome verified;                      // the proof
  bool committed = false;
  std::string cainfo_backup, config_backup;  // "" when there was nothing to keep
  std::vector<std::string> notes;
  StoreOutcome applied;  // when committed
};

// Errors: usage (kBadInput: no --cert/--fingerprint, unreadable file), not root for the system
// home (kRefused), a policy pin the new server's certificate fails (kRefused), the new server
// unreachable (kNetwork) or not authenticated by the new certificate, or presenting no certificate
// with the fingerprint (kRefused). Every error leaves every file as it was.
trust::Result<MoveReport> move_server(const MoveRequest& request);

}  // namespace agent
