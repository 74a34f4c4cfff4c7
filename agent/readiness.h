// `trustagent readiness`: before a server switches certificates, read the central server's access
// log (nginx's default "combined" format) and answer how many endpoints already hold the policy
// revision (or the reserve) the switch depends on, and which have not been seen since a time.
// Each endpoint is known by the id in its User-Agent (agent/endpoint_identity.h); its state is
// what its latest request said. Requests from other clients are counted and otherwise ignored.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trust/result.h"

namespace agent {

struct EndpointSeen {
  std::string id;
  std::string address;  // the client address of its latest request
  int64_t last_seen = 0;
  std::map<std::string, int64_t> policies;  // guid -> revision, from its latest request
  std::vector<std::string> reserves;        // sha256 prefixes, from its latest request
  bool listing_capped = false;              // "+N": some policies or reserves were not listed
};

struct AccessLog {
  std::vector<EndpointSeen> endpoints;  // by id
  size_t lines = 0, other_clients = 0, unreadable = 0;
};

AccessLog read_access_log(std::istream& log);

struct ReadinessQuery {
  std::string policy_guid;  // "" : not asked
  int64_t policy_revision = 0;
  std::string reserve_sha256;  // "" : not asked
  std::optional<int64_t> since;
};

// The query as a person writes it: `policy` "GUID@REVISION", `reserve` a SHA-256 fingerprint,
// `since` ISO 8601 UTC, each "" when not given. At least one of policy and reserve is needed
// (ready for what?); every error is kBadInput and names the option.
trust::Result<ReadinessQuery> readiness_query(const std::string& policy, const std::string& reserve,
                                              const std::string& since);

struct Readiness {
  std::vector<EndpointSeen> ready, not_ready, not_seen_since;
};

Readiness assess(const AccessLog& log, const ReadinessQuery& query);

// "[29/Nov/2026:21:00:00 +0100]" (without brackets) as epoch seconds.
std::optional<int64_t> parse_log_time(const std::string& text);

}  // namespace agent
