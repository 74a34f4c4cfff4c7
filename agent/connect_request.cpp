#include "agent/connect_request.h"

#include "agent/server_watch.h"

namespace agent {
namespace {

void alarm_if_unauthenticated(const ConnectRequest& request, const ConnectFlags& flags,
                              const policy::Effective& policy, const Log& log) {
  if (!request.verify_peer) {
    log.alarm("peer verification is OFF (" +
              (flags.no_verify_peer ? "--no-verify-peer" : "policy " + policy.verify_peer.from) +
              "): the server is NOT authenticated; anyone on the path can impersonate it");
  } else if (!request.verify_host) {
    log.alarm("host name verification is OFF (" +
              (flags.no_verify_host ? "--no-verify-host" : "policy " + policy.verify_host.from) +
              "): any server with a trusted certificate is accepted, whatever its name");
  }
}

}  // namespace

trust::Result<ConnectRequest> connect_request_for(const ConnectFlags& flags,
                                                  const policy::Effective& policy,
                                                  const std::string& configured_server,
                                                  const trust::Layout& layout, const Log& log) {
  ConnectRequest request;
  request.target = !flags.url.empty()           ? flags.url
                   : !configured_server.empty() ? configured_server
                                                : policy.server_url.value;
  request.layout = layout;
  request.timeout_seconds = flags.timeout_seconds;
  auto note = [&log](const std::string& flag, const std::string& guid) {
    if (!guid.empty()) log.notice(flag + " overrides policy " + guid);
  };
  request.verify_peer = policy.verify_peer.value && !flags.no_verify_peer;
  request.verify_host = policy.verify_host.value && !flags.no_verify_host;
  if (flags.no_verify_peer) note("--no-verify-peer", policy.verify_peer.from);
  if (flags.no_verify_host) note("--no-verify-host", policy.verify_host.from);
  if (!flags.pins.empty()) {
    note("--pin", policy.pins.from);
    for (const auto& text : flags.pins) {
      auto pin = trust::parse_pin(text);
      if (!pin) return pin.error();
      request.pins.push_back(*pin);
    }
  } else {
    request.pins = own_server_pins(policy, configured_server, flags.url, log);
  }
  alarm_if_unauthenticated(request, flags, policy, log);
  return request;
}

std::vector<trust::Pin> own_server_pins(const policy::Effective& policy,
                                        const std::string& configured_server,
                                        const std::string& target, const Log& log) {
  std::string own = !configured_server.empty() ? configured_server : policy.server_url.value;
  if (target.empty() || (!own.empty() && same_server(target, own))) return policy.pins.value;
  if (!policy.pins.value.empty()) {
    log.notice("the pins of policy " + policy.pins.from + " are for the agent's own server (" +
               (own.empty() ? std::string("none is configured") : own) + "); " + target +
               " is verified through the store");
  }
  return {};
}

void remember_verified_connection(const ConnectRequest& request, const ConnectOutcome& outcome,
                                  bool to_configured_server, int64_t now) {
  if (!outcome.ok() || !outcome.anchor || outcome.chain.empty()) return;
  (void)record_verified_connection(
      request.layout, to_configured_server ? ServerRole::kConfigured : ServerRole::kNone,
      address_of(outcome), outcome.chain.front().info, outcome.anchor->sha256, now);
}

}  // namespace agent
