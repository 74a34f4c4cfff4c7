// trustagent status: the whole picture of one endpoint. Every anchor in store order with its role
// (current or reserve), where it came from and the days it has left; the reserves; the last
// policy refresh and its result; the effective policy with the policy each setting came from; and
// the warnings of trust/anchor_warnings.h. The daemon writes exactly this, plus its cycle, to
// <home>/var/state/status.json after every cycle.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "agent/store_sync.h"
#include "trust/anchor_warnings.h"
#include "trust/result.h"

namespace agent {

struct AnchorStatus {
  trust::Anchor anchor;
  std::string role;  // "current" or "reserve"
  int64_t days_left = 0;
};

struct Status {
  int64_t now = 0;
  std::vector<AnchorStatus> anchors;
  std::vector<trust::AnchorWarning> warnings;
  // The last refresh: the daemon's last cycle if it has run, else when policies last changed
  // (var/state/refresh.state); null when there has never been one.
  nlohmann::json last_refresh;
  std::vector<trust::CertInfo> retired;  // var/retired.pem: what rollover took out of the store
  // The agent's own server as actually used: the configured one (trustagent.conf or --server)
  // over the policy's <Server>; `server_from` says which ("configuration", a policy guid, or
  // "none").
  std::string server, server_from;
  nlohmann::json policy_signing;  // agent/policy_signers.h: signed_policy_json()

  // Warnings that are not information: `status` exits 1 when there is one.
  bool needs_attention() const;
};

// `cycle`: the daemon's cycle being reported right now (the CLI passes nothing and the last one
// written to status.json is shown).
// `configured_server`: 'server' from trustagent.conf or --server, "" when not set.
trust::Result<Status> collect_status(const trust::Layout& layout, const StoreOutcome& synced,
                                     const std::optional<nlohmann::json>& cycle = std::nullopt,
                                     const std::string& configured_server = "");

nlohmann::json status_json(const Status& status, const StoreOutcome& synced);

}  // namespace agent
