// How `connect` and `fetch` turn the policy in force and the command line into what a connection
// checks. Policy decides; a flag on the command line overrides it and the override is noted;
// authentication turned off, by either, is an alarm every time.
//
// SSLNSPublicHttpsCertFingerprint pins the agent's own server (the configured `server`, else the
// policy's <Server>), as its legacy name says: the policy's pins apply when the target is that
// server (or empty, meaning it); any other host is verified through the store alone, and a note
// says the pins were left out.
#pragma once

#include <string>
#include <vector>

#include "agent/connector.h"
#include "agent/log.h"
#include "policy/policy_set.h"
#include "trust/result.h"

namespace agent {

struct ConnectFlags {
  std::string url;                // "" : the configured server, else the policy's <Server>
  std::vector<std::string> pins;  // --pin, replacing the policy's
  bool no_verify_peer = false;
  bool no_verify_host = false;
  double timeout_seconds = 10;
};

// Fails (kBadInput) only on a --pin that is no pin.
trust::Result<ConnectRequest> connect_request_for(const ConnectFlags& flags,
                                                  const policy::Effective& policy,
                                                  const std::string& configured_server,
                                                  const trust::Layout& layout, const Log& log);

std::vector<trust::Pin> own_server_pins(const policy::Effective& policy,
                                        const std::string& configured_server,
                                        const std::string& target, const Log& log);

// After a connection authenticated by the store: what the server presented, for warnings before
// the configured server's leaf expires and so that rollover retires a replaced certificate only
// once its successor is in use. `to_configured_server`: the command named no other host. Not
// recording it changes nothing else, so a failure to record is ignored.
void remember_verified_connection(const ConnectRequest& request, const ConnectOutcome& outcome,
                                  bool to_configured_server, int64_t now);

}  // namespace agent
