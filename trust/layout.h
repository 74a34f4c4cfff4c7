// Where everything lives under an agent home (DESIGN.md section 3).
#pragma once

#include <string>

namespace trust {

struct Layout {
  std::string home;
  std::string etc_dir, var_dir, state_dir, policies_dir, hooks_dir;
  std::string config;                             // etc/trustagent.conf
  std::string cainfo, cainfo_ss, cainfo_reserve;  // agent-managed sources
  std::string merged, merged_index;               // etc/cainfo-merged.pem and .idx
  std::string capath;  // etc/capath: the store as a hashed directory, when asked for
  std::string merge_state, cert_cache;  // var/state/
  std::string reserve_state;            // var/state/reserves.state
  std::string servers_state;            // var/state/servers.state
  std::string clock_state;              // var/state/clock.state: this boot's clock reference
  std::string restored;                 // var/state/restored: brought back from retired.pem
  std::string policy_signers;           // etc/policy-signers.pem: who may sign the policy index
  std::string policy_index_state;       // var/state/policy-index.state: the last index accepted
  std::string refresh_state;            // var/state/refresh.state: validators per central server
  std::string refresh_record;           // var/state/refresh-record.json: the last refresh's outcome
  std::string status;                   // var/state/status.json: the daemon's last cycle
  std::string endpoint_id;              // var/state/endpoint-id: this endpoint's random id
  std::string acknowledged;             // var/state/acknowledged: warnings an operator accepted
  std::string held_back;                // var/state/held-back-policies: removed on this endpoint
  std::string retired;      // var/retired.pem: certificates rollover took out of the store
  std::string lock;         // var/lock: the writer lock
  std::string daemon_lock;  // var/daemon.lock: one daemon per home

  static Layout at(const std::string& home);

  // var/policies/<guid>.xml; the guid must already be valid (policy::is_valid_guid).
  std::string policy_file(const std::string& guid) const;
};

}  // namespace trust
