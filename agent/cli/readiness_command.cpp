#include <fstream>
#include <iostream>

#include "agent/cli/commands.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/readiness.h"
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

nlohmann::json readiness_json(const agent::AccessLog& log, const agent::Readiness& r) {
  nlohmann::json j = {{"endpoints", log.endpoints.size()},
                      {"ready", r.ready.size()},
                      {"not_ready", nlohmann::json::array()},
                      {"not_seen_since", nlohmann::json::array()},
                      {"lines", log.lines},
                      {"other_clients", log.other_clients},
                      {"unreadable_lines", log.unreadable}};
  for (const auto& e : r.not_ready) j["not_ready"].push_back(endpoint_json(e));
  for (const auto& e : r.not_seen_since) j["not_seen_since"].push_back(endpoint_json(e));
  return j;
}

void print_readiness_text(const agent::AccessLog& log, const agent::Readiness& r,
                          const ReadinessOptions& opts) {
  std::cout << log.endpoints.size() << " endpoints seen, " << r.ready.size() << " ready, "
            << r.not_ready.size() << " not ready\n";
  for (const auto& e : r.not_ready) {
    std::cout << "  not ready  " << e.id << "  " << e.address << "  last seen "
              << trust::to_iso8601(e.last_seen) << "\n";
  }
  if (!opts.since.empty()) {
    std::cout << r.not_seen_since.size() << " not seen since " << opts.since << "\n";
    for (const auto& e : r.not_seen_since) {
      std::cout << "  not seen   " << e.id << "  " << e.address << "  last seen "
                << trust::to_iso8601(e.last_seen) << "\n";
    }
  }
  if (log.unreadable) std::cout << log.unreadable << " lines not in the combined format\n";
}

}  // namespace

int run_readiness(Context& ctx, const ReadinessOptions& opts) {
  auto query = agent::readiness_query(opts.policy, opts.reserve, opts.since);
  if (!query) return fail(ctx, query.error());
  std::ifstream in(opts.log);
  if (!in) return fail(ctx, trust::make_error(trust::Code::kBadInput, opts.log + ": cannot open"));
  agent::AccessLog log = agent::read_access_log(in);
  agent::Readiness r = agent::assess(log, *query);
  if (ctx.json) {
    std::cout << agent::json_text(readiness_json(log, r));
  } else {
    print_readiness_text(log, r, opts);
  }
  // Nothing seen is no evidence of readiness (a wrong file, another log format, agents older
  // than 0.3.0): never exit 0 for it.
  if (log.endpoints.empty()) {
    ctx.log.error(opts.log + ": no trustagent 0.3.0 or later endpoint in this log (" +
                  std::to_string(log.other_clients) + " requests from other clients, " +
                  std::to_string(log.unreadable) + " lines not in the combined format)");
  }
  return r.not_ready.empty() && !log.endpoints.empty() ? 0 : 1;
}

void add_readiness_command(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ReadinessOptions>();
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
  sub->callback([&ctx, opts] { ctx.exit_code = run_readiness(ctx, *opts); });
}

}  // namespace cli
