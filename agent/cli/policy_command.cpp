#include <iostream>

#include "agent/cli/command_options.h"
#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/index_publisher.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "agent/policy_removal.h"
#include "agent/policy_signers.h"
#include "agent/publish_check.h"
#include "agent/refresh.h"
#include "policy/index.h"
#include "trust/atomic_file.h"
#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

template <class T>
nlohmann::json setting(const policy::Setting<T>& s) {
  return {{"value", s.value}, {"from", s.from.empty() ? "default" : s.from}};
}

nlohmann::json effective_json(const policy::Effective& e) {
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& p : e.policies) {
    policies.push_back({{"guid", p.guid},
                        {"name", p.name},
                        {"revision", p.revision},
                        {"priority", p.priority},
                        {"file", p.file}});
  }
  nlohmann::json ca_files = nlohmann::json::array();
  for (const auto& f : e.ca_files) ca_files.push_back({{"path", f.path}, {"from", f.from}});
  return {{"policies", policies},
          {"effective",
           {{"verify_peer", setting(e.verify_peer)},
            {"verify_host", setting(e.verify_host)},
            {"use_system_store", setting(e.use_system_store)},
            {"pins", setting(e.pins_text)},
            {"refresh_interval", setting(e.refresh_interval)},
            {"refresh_jitter", setting(e.refresh_jitter)},
            {"server", setting(e.server_url)}}},
          {"ca_files", ca_files}};
}

void print_effective(const policy::Effective& e) {
  std::cout << e.policies.size() << " policies in force (lowest priority first):\n";
  for (const auto& p : e.policies) {
    std::cout << "  " << p.guid << "  revision " << p.revision << "  priority " << p.priority
              << "  " << trust::printable_text(p.name) << "\n";
  }
  auto line = [](const char* name, const std::string& value, const std::string& from) {
    std::cout << "  " << name << " = " << trust::printable_text(value) << "   ("
              << (from.empty() ? "default" : from) << ")\n";
  };
  std::cout << "effective settings:\n";
  line("SSLVerifyPeer", e.verify_peer.value ? "yes" : "NO", e.verify_peer.from);
  line("SSLVerifyHost", e.verify_host.value ? "yes" : "NO", e.verify_host.from);
  line("UseSystemCAStore", e.use_system_store.value ? "yes" : "no", e.use_system_store.from);
  line("SSLNSPublicHttpsCertFingerprint", e.pins_text.value.empty() ? "(none)" : e.pins_text.value,
       e.pins_text.from);
  line("Refresh",
       std::to_string(e.refresh_interval.value) + " s + up to " +
           std::to_string(e.refresh_jitter.value) + " s jitter",
       e.refresh_interval.from);
  line("Server", e.server_url.value.empty() ? "(none)" : e.server_url.value, e.server_url.from);
  for (const auto& f : e.ca_files) line("CA file", f.path, f.from);
}

nlohmann::json signer_json(const trust::CertInfo& c) {
  return {
      {"subject", c.subject}, {"sha256", c.sha256}, {"not_after", trust::to_iso8601(c.not_after)}};
}

// `policy trust-signer` and `policy signers`: who may sign the policy index on this endpoint.
void add_signer_commands(CLI::App& group, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto fingerprint = std::make_shared<std::string>();
  CLI::App* trust_signer = group.add_subcommand(
      "trust-signer",
      "Trust FILE's certificate to sign the policy index, after matching its SHA-256 fingerprint "
      "(read it from the publisher out of band). From then on every index must be signed.");
  trust_signer->add_option("FILE", *file, "The signer's certificate (PEM or DER)")->required();
  trust_signer->add_option("--fingerprint", *fingerprint, "Its SHA-256 fingerprint")->required();
  trust_signer->footer(kExitCodes);
  trust_signer->callback([&ctx, file, fingerprint] {
    trust::CertInfo added;
    auto synced = agent::sync_store(
        ctx.store_request(), agent::keeping(added, [&](const trust::Layout& l) {
          return agent::trust_policy_signer(l, ctx.clock->now(), *file, *fingerprint);
        }));
    if (!synced) {
      ctx.exit_code = fail(ctx, synced.error());
      return;
    }
    if (ctx.json) {
      std::cout << agent::json_text(nlohmann::json{{"trusted", signer_json(added)}});
    } else {
      std::cout << "policy signer: " << trust::printable_text(added.subject) << " sha256 "
                << added.sha256 << " (" << trust::Layout::at(ctx.home).policy_signers << ")\n";
    }
  });

  auto remove_fp = std::make_shared<std::string>();
  CLI::App* signers = group.add_subcommand(
      "signers",
      "List the policy signers; --remove FP removes one (removing the last one "
      "returns the endpoint to unsigned, TLS-only policy).");
  signers->add_option("--remove", *remove_fp, "SHA-256 fingerprint of the signer to remove");
  signers->footer(kExitCodes);
  signers->callback([&ctx, remove_fp] {
    trust::Layout layout = trust::Layout::at(ctx.home);
    if (!remove_fp->empty()) {
      trust::CertInfo gone;
      auto synced =
          agent::sync_store(ctx.store_request(), agent::keeping(gone, [&](const trust::Layout& l) {
                              return agent::untrust_policy_signer(l, *remove_fp);
                            }));
      if (!synced) {
        ctx.exit_code = fail(ctx, synced.error());
        return;
      }
      ctx.log.notice("removed policy signer " + gone.sha256);
    }
    auto loaded = agent::load_policy_signers(layout);
    if (!loaded) {
      ctx.exit_code = fail(ctx, loaded.error());
      return;
    }
    if (!*loaded) {
      ctx.log.alarm(
          "no policy signers: policies are authorised by the central server's TLS certificate "
          "alone (legacy mode)");
    }
    nlohmann::json list = nlohmann::json::array();
    if (*loaded) {
      for (const auto& c : **loaded) list.push_back(signer_json(c.info()));
    }
    if (ctx.json) {
      std::cout << agent::json_text(nlohmann::json{{"signers", list}});
      return;
    }
    for (const auto& c : list) {
      std::cout << c["sha256"].get<std::string>() << "  until " << c["not_after"].get<std::string>()
                << "  " << trust::printable_text(c["subject"].get<std::string>()) << "\n";
    }
  });
}

}  // namespace

void add_policy_command(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("policy",
                                       "Policies: show the one in force, refresh them "
                                       "from the central server, publish a folder.");
  group->require_subcommand(1);
  group->fallthrough();
  group->footer(kExitCodes);

  CLI::App* show =
      group->add_subcommand("show", "The effective settings, and which policy each came from.");
  show->footer(kExitCodes);
  show->callback([&ctx] {
    auto synced = bring_store_up_to_date(ctx);
    if (!synced) return;
    if (ctx.json) {
      nlohmann::json j = effective_json(synced->effective);
      j["refused"] = nlohmann::json::array();
      for (const auto& e : synced->policy_errors) j["refused"].push_back(e.message);
      std::cout << agent::json_text(j);
    } else {
      print_effective(synced->effective);
    }
    ctx.exit_code = synced->policy_errors.empty() ? 0 : 2;
  });

  auto timeout = std::make_shared<double>(30);
  auto full = std::make_shared<bool>(false);
  CLI::App* refresh = group->add_subcommand(
      "refresh",
      "Fetch <server>/policies/index.xml (conditional GET), download the policies that changed, "
      "check and store them, and apply them (merge included) in this same refresh. The server is "
      "--server, else 'server' in the config, else the policy's <Server>.");
  refresh->add_option("--timeout", *timeout, "Seconds per request (default 30)")
      ->check(CLI::PositiveNumber);
  refresh->add_flag("--full", *full,
                    "Fetch the whole index even if the server would answer 304: for a policy "
                    "republished within the same second at the same size, which servers whose "
                    "ETag is mtime and size (nginx) cannot tell apart");
  refresh->footer(kExitCodes);
  refresh->callback([&ctx, timeout, full] {
    agent::RefreshRequest request;
    request.store = ctx.store_request();
    request.server = ctx.server;
    request.mirrors = ctx.mirrors;
    request.timeout_seconds = *timeout;
    request.full = *full;
    auto report = agent::refresh_policies(request);
    if (!report) {
      ctx.exit_code = fail(ctx, report.error());
      return;
    }
    agent::log_refresh_report(*report, ctx.log);
    agent::log_store_outcome(report->applied, ctx.log);
    if (ctx.json) {
      nlohmann::json j = {
          {"index", report->index_url},          {"not_modified", report->not_modified},
          {"requests", report->downloads},       {"installed", report->installed},
          {"removed", report->removed},          {"unchanged", report->unchanged},
          {"merge", merge_json(report->applied)}};
      j["held_back"] = report->held_back;
      j["from"] = report->from;
      j["servers_refused"] = nlohmann::json::array();
      for (const auto& e : report->servers_refused) j["servers_refused"].push_back(e.message);
      j["signed"] = nullptr;
      if (const auto& s = report->signed_index) {
        j["signed"] = {{"serial", s->serial},
                       {"expires", trust::to_iso8601(s->expires)},
                       {"signer", {{"subject", s->signer_subject}, {"sha256", s->signer_sha256}}},
                       {"signers_replaced", report->signers_rotated}};
      }
      j["unauthenticated_server"] = nullptr;
      if (!report->unauthenticated_sha256.empty()) {
        j["unauthenticated_server"] = {{"subject", report->unauthenticated_subject},
                                       {"sha256", report->unauthenticated_sha256}};
      }
      j["refused"] = nlohmann::json::array();
      for (const auto& e : report->refused) j["refused"].push_back(e.message);
      std::cout << agent::json_text(j);
    } else {
      if (report->not_modified) {
        std::cout << report->index_url << ": not modified (304)\n";
      } else {
        std::cout << report->index_url << ": " << report->installed.size() << " installed, "
                  << report->removed.size() << " removed, " << report->unchanged.size()
                  << " unchanged, " << report->refused.size() << " refused\n";
      }
      for (const auto& g : report->installed) std::cout << "  + " << g << "\n";
      for (const auto& g : report->removed) std::cout << "  - " << g << "\n";
      print_merge_text(report->applied);
    }
    bool clean = report->refused.empty() && merge_exit_code(report->applied) == 0;
    ctx.exit_code = clean ? 0 : 2;
  });

  auto dir = std::make_shared<std::string>();
  CLI::App* publish = group->add_subcommand(
      "publish", "Write DIR/index.xml for the policy files in DIR (the central server's side).");
  publish->add_option("DIR", *dir, "Folder of policy files, served as <base>/policies/")
      ->required();
  auto force = std::make_shared<bool>(false);
  publish->add_flag("--force", *force,
                    "Publish even when a policy's pins match nothing its server presents, or "
                    "could not be checked; or unsigned into a folder that was signed");
  publish->add_option("--timeout", *timeout, "Seconds per pin check (default 30)")
      ->check(CLI::PositiveNumber);
  auto signing = std::make_shared<SigningOptions>();
  add_signing_options(publish, *signing, true);
  publish->footer(kExitCodes);
  publish->callback([&ctx, dir, force, timeout, signing] {
    std::vector<policy::Policy> policies;
    auto entries = policy::index_for_directory(*dir, &policies);
    if (!entries) {
      ctx.exit_code = fail(ctx, entries.error());
      return;
    }
    // A pinned policy is checked against the live server it names before endpoints can get it.
    bool blocked = false;
    for (const auto& check :
         agent::check_policy_pins(policies, ctx.server, trust::Layout::at(ctx.home), *timeout)) {
      using Outcome = agent::PinCheck::Outcome;
      bool bad = check.outcome == Outcome::kLocksOut || check.outcome == Outcome::kUnreachable;
      blocked = blocked || bad;
      if (!bad) {
        ctx.log.notice(check.message);
      } else if (*force) {
        ctx.log.alarm("--force: " + check.message);
      } else {
        ctx.log.error(check.message);
      }
    }
    if (blocked && !*force) {
      ctx.exit_code = fail(ctx, trust::make_error(trust::Code::kRefused,
                                                  "index not written: publishing would lock "
                                                  "endpoints out (fix the pins, or --force)"));
      return;
    }
    auto sign = signing_from(*signing);
    if (!sign) {
      ctx.exit_code = fail(ctx, sign.error());
      return;
    }
    auto written = agent::write_policy_index(*dir, *entries, *sign, ctx.clock->now(), *force);
    if (!written) {
      ctx.exit_code = fail(ctx, written.error());
      return;
    }
    if (written->stale_signature_removed) {
      ctx.log.notice("removed " + written->index_path +
                     ".sig: it signed an older index (endpoints with policy signers refuse an "
                     "unsigned index)");
    }
    const auto& terms = written->signed_terms;
    if (ctx.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : *entries) {
        j.push_back(
            {{"guid", e.guid}, {"revision", e.revision}, {"sha256", e.sha256}, {"href", e.href}});
      }
      nlohmann::json out{{"index", written->index_path}, {"policies", j}, {"signed", nullptr}};
      if (terms) {
        out["signed"] = {
            {"signature", written->signature_path},
            {"serial", terms->serial},
            {"expires", trust::to_iso8601(terms->expires)},
            {"signer", {{"subject", terms->signer_subject}, {"sha256", terms->signer_sha256}}},
            {"next_signers", written->next_signers}};
      }
      std::cout << agent::json_text(out);
    } else {
      std::cout << "wrote " << written->index_path << ": " << entries->size() << " policies\n";
      if (terms) {
        std::cout << "signed " << written->signature_path << ": serial " << terms->serial
                  << ", expires " << trust::to_iso8601(terms->expires) << ", signer "
                  << trust::printable_text(terms->signer_subject) << " sha256 "
                  << terms->signer_sha256 << "\n";
        if (written->next_signers) {
          std::cout << "introduces " << written->next_signers
                    << " policy signer(s): endpoints replace theirs when they accept it\n";
        }
      }
      for (const auto& e : *entries) {
        std::cout << "  " << e.guid << "  revision " << e.revision << "  " << e.href << "\n";
      }
    }
  });

  add_signer_commands(*group, ctx);
  add_policy_reserve_command(*group, ctx);

  auto guid = std::make_shared<std::string>();
  CLI::App* remove = group->add_subcommand(
      "remove",
      "Remove policy GUID from this endpoint and apply the rest at once: the way out of a bad "
      "policy. Refreshes hold the same policy back until the central server publishes a higher "
      "revision.");
  remove->add_option("GUID", *guid, "The policy's guid (trustagent policy show lists them)")
      ->required();
  remove->footer(kExitCodes);
  remove->callback([&ctx, guid] {
    agent::PolicyRemoved removed;
    agent::StoreRequest request = ctx.store_request();
    trust::Layout layout = trust::Layout::at(ctx.home);
    request.also_undo = agent::files_policy_removal_edits(layout, *guid);
    auto synced = agent::sync_store(request, agent::keeping(removed, [&](const trust::Layout& l) {
                                      return agent::remove_policy_locally(l, *guid);
                                    }));
    if (!synced) {
      ctx.exit_code = fail(ctx, synced.error());
      return;
    }
    agent::log_store_outcome(*synced, ctx.log);
    const agent::HeldBackPolicy& hold = removed.hold;
    for (const auto& sha : removed.withdrawn_reserves) {
      ctx.log.notice("reserve sha256 " + sha + " published by policy " + hold.guid +
                     " withdrawn with it");
    }
    for (const auto& sha : removed.kept_reserves) {
      ctx.log.notice("reserve sha256 " + sha + " published by policy " + hold.guid +
                     " kept: a server was seen presenting it (trustagent reserve remove " + sha +
                     " takes it out)");
    }
    if (ctx.server.empty() && synced->effective.server_url.value.empty()) {
      ctx.log.warning(
          "no central server is known now (no 'server' in trustagent.conf, no policy <Server>): "
          "a corrected policy cannot arrive; set 'server = HOST:PORT' in trustagent.conf");
    }
    if (ctx.json) {
      std::cout << agent::json_text(
          nlohmann::json{{"removed", hold.guid},
                         {"held_back_through_revision", hold.revision},
                         {"withdrawn_reserves", removed.withdrawn_reserves},
                         {"merge", merge_json(*synced)}});
    } else {
      std::cout << "removed policy " << hold.guid << " (revision " << hold.revision
                << "); refreshes hold it back until a revision above " << hold.revision
                << " is published\n";
      print_merge_text(*synced);
    }
    ctx.exit_code = merge_exit_code(*synced);
  });
}

}  // namespace cli
