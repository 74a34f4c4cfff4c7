#include <fstream>
#include <iostream>

#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/readiness.h"
#include "trust/fingerprint.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

nlohmann::json endpoint_json(const agent::EndpointSeen& e) {
  nlohmann::json policies = nlohmann::json::object();
  for (const auto& [guid, revision] : e.policies) policies[guid] = revision;
  return {{"endpoint", e.id},
          {"address", e.address},
          {"last_seen", trust::to_iso8601(e.last_seen)},
          {"policies", policies},
          {"reserves", e.reserves},
          {"listing_capped", e.listing_capped}};
}

}  // namespace

void add_readiness_command(CLI::App& app, Context& ctx) {
  struct Options {
    std::string log, policy, reserve, since;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "readiness",
      "On the central server, before a certificate switch: read its access log (nginx's default "
      "combined format) and count the endpoints whose latest request shows the policy revision "
      "(--policy GUID@REVISION) or the reserve (--reserve SHA256) the switch depends on, and list "
      "those not seen since --since. Exit 0 when every endpoint seen is ready, 1 otherwise (and "
      "when "
      "no endpoint is in the log).");
  sub->add_option("LOG", opts->log, "The central server's access log")->required();
  sub->add_option("--policy", opts->policy, "GUID@REVISION: ready means this revision or later");
  sub->add_option("--reserve", opts->reserve, "Fingerprint (SHA-256) of the reserve certificate");
  sub->add_option("--since", opts->since,
                  "ISO 8601 UTC time: list the endpoints whose last request is older");
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] {
    auto bad = [&](const std::string& why) {
      ctx.exit_code = fail(ctx, trust::make_error(trust::Code::kBadInput, why));
    };
    if (opts->policy.empty() && opts->reserve.empty()) {
      return bad("readiness needs --policy GUID@REVISION or --reserve SHA256: ready for what?");
    }
    agent::ReadinessQuery query;
    if (!opts->policy.empty()) {
      auto at = opts->policy.rfind('@');
      if (at == std::string::npos || at == 0 ||
          !trust::parse_number(opts->policy.substr(at + 1), query.policy_revision)) {
        return bad("--policy '" + opts->policy + "' is not GUID@REVISION");
      }
      query.policy_guid = opts->policy.substr(0, at);
    }
    if (!opts->reserve.empty()) {
      auto fp = trust::parse_fingerprint(opts->reserve);
      if (!fp || fp->algorithm != trust::Fingerprint::Algorithm::kSha256) {
        return bad("--reserve '" + opts->reserve + "' is not a SHA-256 fingerprint");
      }
      query.reserve_sha256 = fp->hex;
    }
    if (!opts->since.empty()) {
      query.since = trust::from_iso8601(opts->since);
      if (!query.since)
        return bad("--since '" + opts->since + "' is not like 2027-01-10T00:00:00Z");
    }
    std::ifstream in(opts->log);
    if (!in) return bad(opts->log + ": cannot open");
    agent::AccessLog log = agent::read_access_log(in);
    agent::Readiness r = agent::assess(log, query);
    if (ctx.json) {
      nlohmann::json j = {{"endpoints", log.endpoints.size()},
                          {"ready", r.ready.size()},
                          {"not_ready", nlohmann::json::array()},
                          {"not_seen_since", nlohmann::json::array()},
                          {"lines", log.lines},
                          {"other_clients", log.other_clients},
                          {"unreadable_lines", log.unreadable}};
      for (const auto& e : r.not_ready) j["not_ready"].push_back(endpoint_json(e));
      for (const auto& e : r.not_seen_since) j["not_seen_since"].push_back(endpoint_json(e));
      std::cout << agent::json_text(j);
    } else {
      std::cout << log.endpoints.size() << " endpoints seen, " << r.ready.size() << " ready, "
                << r.not_ready.size() << " not ready\n";
      for (const auto& e : r.not_ready) {
        std::cout << "  not ready  " << e.id << "  " << e.address << "  last seen "
                  << trust::to_iso8601(e.last_seen) << "\n";
      }
      if (query.since) {
        std::cout << r.not_seen_since.size() << " not seen since " << opts->since << "\n";
        for (const auto& e : r.not_seen_since) {
          std::cout << "  not seen   " << e.id << "  " << e.address << "  last seen "
                    << trust::to_iso8601(e.last_seen) << "\n";
        }
      }
      if (log.unreadable) std::cout << log.unreadable << " lines not in the combined format\n";
    }
    // Nothing seen is no evidence of readiness (a wrong file, another log format, agents older
    // than 0.3.0): never exit 0 for it.
    if (log.endpoints.empty()) {
      ctx.log.error(opts->log + ": no trustagent 0.3.0 or later endpoint in this log (" +
                    std::to_string(log.other_clients) + " requests from other clients, " +
                    std::to_string(log.unreadable) + " lines not in the combined format)");
    }
    ctx.exit_code = r.not_ready.empty() && !log.endpoints.empty() ? 0 : 1;
  });
}

}  // namespace cli
