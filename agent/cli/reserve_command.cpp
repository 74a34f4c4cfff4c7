#include <algorithm>
#include <iostream>

#include "agent/certificate_file.h"
#include "agent/cli/command_options.h"
#include "agent/cli/context.h"
#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"
#include "agent/reserve_review.h"
#include "trust/rollover.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace cli {
namespace {

nlohmann::json reserve_json(const trust::Reserve& r, int64_t now) {
  auto when = [](int64_t t) {
    return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(trust::to_iso8601(t));
  };
  return {{"sha256", r.sha256},
          {"activate_at", trust::to_iso8601(r.activate_at)},
          {"status", r.pending(now) ? "pending" : "active"},
          {"origin", r.origin},
          {"replaces", r.replaces},
          {"arrived_at", when(r.arrived_at)},
          {"seen_in_use_at", when(r.seen_at)},
          {"replaced_retired_at", when(r.retired_at)}};
}

// The lint findings of a reserve: an error without --force, warnings with it.
std::optional<trust::Error> findings_refusal(const std::string& file,
                                             const agent::ReserveReview& review, bool force,
                                             const agent::Log& log) {
  if (review.findings.empty()) return std::nullopt;
  std::string all;
  for (const auto& f : review.findings) {
    if (force) {
      log.warning("--force: " + file + ": " + f.code + ": " + f.message);
    }
    all += (all.empty() ? "" : "; ") + f.code + ": " + f.message;
  }
  if (force) return std::nullopt;
  return trust::make_error(trust::Code::kBadInput,
                           file + ": does not meet the common certificate requirements (" + all +
                               "); fix it, or --force");
}

void add_reserve_add(CLI::App& reserve, Context& ctx) {
  struct Options {
    std::string file;
    ActivationOptions activation;
    std::vector<std::string> replaces;
    bool force = false;
    PasswordOptions password;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* sub = reserve.add_subcommand(
      "add",
      "Add the certificate(s) in FILE to cainfo-reserve.pem: trusted at once, so the server may "
      "switch to them any time; they become the current certificates at the activation time.");
  sub->add_option("FILE", opts->file, "Certificate file (PEM, DER or PKCS#7)")->required();
  add_activation_options(sub, opts->activation);
  sub->add_option("--replaces", opts->replaces,
                  "Fingerprint of the certificate this reserve takes over from (repeatable); "
                  "default: the certificates of the same subject or the same DNS/IP names")
      ->allow_extra_args(false);
  add_password_options(sub, opts->password);
  sub->add_flag("--force", opts->force,
                "Add it even when it does not meet the common certificate requirements "
                "(trustagent lint --profile common)");
  sub->footer(kExitCodes);
  sub->callback([&ctx, opts] {
    std::vector<trust::Fingerprint> replaces;
    for (const auto& text : opts->replaces) {
      auto fp = trust::parse_fingerprint(text);
      if (!fp) {
        ctx.exit_code =
            fail(ctx, trust::make_error(trust::Code::kBadInput,
                                        "--replaces '" + text + "': " + fp.error().message));
        return;
      }
      replaces.push_back(*fp);
    }
    auto activation = activation_of(opts->activation, ctx.clock->now());
    if (!activation) {
      ctx.exit_code = fail(ctx, activation.error());
      return;
    }
    std::optional<int64_t> activate_at = *activation;
    trust::ReserveAdded added;
    auto outcome = agent::sync_store(
        ctx.store_request(),
        agent::keeping(
            added, [&](const trust::Layout& layout) -> trust::Result<trust::ReserveAdded> {
              auto pass = password_of(opts->password);
              if (!pass) return pass.error();
              auto container = agent::certificates_to_import(opts->file, *pass, "");
              if (!container) return container.error();
              std::vector<std::string> ders, reserves;
              if (*container) {
                // A PKCS#12 carries the server's certificate with its chain: the chain helps the
                // review, the server's certificate alone becomes the reserve.
                auto leaf = agent::certificates_to_import(opts->file, *pass, "leaf");
                if (!leaf) return leaf.error();
                reserves = std::move(**leaf);
                ders = std::move(**container);
              } else {
                auto content = trust::read_source_file(opts->file);
                if (!content) return content.error();
                trust::ReadResult read = trust::read_certificates(*content);
                if (read.certs.empty()) {
                  return trust::make_error(trust::Code::kBadInput,
                                           opts->file + ": no certificate in it");
                }
                for (const auto& w : read.warnings) {
                  ctx.log.warning(trust::describe(opts->file, w));
                }
                for (auto& c : read.certs) ders.push_back(std::move(c.der));
                reserves = ders;
              }
              auto review = agent::review_reserve(layout, ders, ctx.clock->now());
              if (!review) return review.error();
              if (auto refused = findings_refusal(opts->file, *review, opts->force, ctx.log)) {
                return *refused;
              }
              for (const auto& n : review->notes) {
                ctx.log.notice(opts->file + ": " + n);
              }
              return trust::add_reserves(layout, reserves, activate_at, "cli", ctx.clock->now(),
                                         replaces);
            }));
    if (!outcome) {
      ctx.exit_code = fail(ctx, outcome.error());
      return;
    }
    agent::log_store_outcome(*outcome, ctx.log);
    if (ctx.json) {
      nlohmann::json j = {{"added", nlohmann::json::array()},
                          {"reserves", nlohmann::json::array()}};
      for (const auto& c : added.added) j["added"].push_back(cert_json(c));
      for (const auto& r : added.reserves) j["reserves"].push_back(reserve_json(r, outcome->now));
      j["merge"] = merge_json(*outcome);
      std::cout << agent::json_text(j);
    } else {
      for (size_t i = 0; i < added.reserves.size(); ++i) {
        const auto& r = added.reserves[i];
        std::cout << "reserve sha256 " << r.sha256 << "\n  trusted now; activates "
                  << trust::to_iso8601(r.activate_at) << "; replaces "
                  << std::count_if(r.replaces.begin(), r.replaces.end(),
                                   [](const std::string& p) { return p.rfind("sha256:", 0) == 0; })
                  << " current certificate(s)\n";
      }
      print_merge_text(*outcome);
    }
    ctx.exit_code = merge_exit_code(*outcome);
  });
}

void add_reserve_list(CLI::App& reserve, Context& ctx) {
  CLI::App* sub = reserve.add_subcommand(
      "list", "List the reserve certificates: activation time, pending or active, and origin.");
  sub->footer(kExitCodes);
  sub->callback([&ctx] {
    auto synced = bring_store_up_to_date(ctx);
    if (!synced) return;
    const auto& reserves = synced->rollover.reserves;
    if (ctx.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& r : reserves) j.push_back(reserve_json(r, synced->now));
      std::cout << agent::json_text(nlohmann::json{{"reserves", j}});
      return;
    }
    if (reserves.empty()) std::cout << "no reserve certificates\n";
    for (const auto& r : reserves) {
      std::cout << r.sha256 << "  " << (r.pending(synced->now) ? "pending" : "active ")
                << "  activates " << trust::to_iso8601(r.activate_at) << "  from " << r.origin
                << "\n";
    }
  });
}

void add_reserve_remove(CLI::App& reserve, Context& ctx) {
  auto fingerprint = std::make_shared<std::string>();
  CLI::App* sub = reserve.add_subcommand(
      "remove", "Take a reserve certificate out of cainfo-reserve.pem and forget it.");
  sub->add_option("FINGERPRINT", *fingerprint, "SHA-256 or SHA-1 fingerprint, any spelling")
      ->required();
  sub->footer(kExitCodes);
  sub->callback([&ctx, fingerprint] {
    auto fp = trust::parse_fingerprint(*fingerprint);
    if (!fp) {
      ctx.exit_code = fail(ctx, fp.error());
      return;
    }
    trust::CertInfo removed;
    auto outcome = agent::sync_store(ctx.store_request(),
                                     agent::keeping(removed, [&](const trust::Layout& layout) {
                                       return trust::remove_reserve(layout, *fp);
                                     }));
    if (!outcome) {
      ctx.exit_code = fail(ctx, outcome.error());
      return;
    }
    agent::log_store_outcome(*outcome, ctx.log);
    if (ctx.json) {
      std::cout << agent::json_text(
          {{"removed", cert_json(removed)}, {"merge", merge_json(*outcome)}});
    } else {
      std::cout << "removed reserve " << removed.subject << "\n  sha256 " << removed.sha256 << "\n";
      print_merge_text(*outcome);
    }
    ctx.exit_code = merge_exit_code(*outcome);
  });
}

}  // namespace

void add_reserve_command(CLI::App& app, Context& ctx) {
  CLI::App* reserve = app.add_subcommand(
      "reserve",
      "Reserve certificates: the certificate a server will switch to, trusted ahead of time.");
  reserve->require_subcommand(1);
  reserve->footer(kExitCodes);
  add_reserve_add(*reserve, ctx);
  add_reserve_list(*reserve, ctx);
  add_reserve_remove(*reserve, ctx);
}

}  // namespace cli
