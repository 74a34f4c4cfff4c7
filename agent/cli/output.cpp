#include "agent/cli/output.h"
#include "agent/json_text.h"
#include "agent/outcome_log.h"

#include <iostream>
#include <set>

#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace cli {
namespace {

const char* code_name(trust::Code code) {
  switch (code) {
    case trust::Code::kOk:
      return "ok";
    case trust::Code::kRefused:
      return "refused";
    case trust::Code::kBadInput:
      return "bad_input";
    case trust::Code::kNetwork:
      return "network";
    case trust::Code::kLocked:
      return "locked";
  }
  return "bad_input";
}

nlohmann::json changes_json(const std::vector<trust::AnchorChange>& changes) {
  auto out = nlohmann::json::array();
  for (const auto& c : changes) out.push_back({{"sha256", c.sha256}, {"subject", c.subject}});
  return out;
}

// One line per source file, and one per CAPath directory (/etc/ssl/certs has hundreds of files).
void print_sources(const trust::MergeReport& r) {
  std::set<std::string> not_certificates;
  for (const auto& n : r.not_certificates) not_certificates.insert(n.file);
  for (size_t i = 0; i < r.sources.size(); ++i) {
    const auto& s = r.sources[i];
    if (s.directory.empty()) {
      bool ok = s.status == trust::SourceStatus::kOk;
      std::cout << "  source " << trust::source_status_name(s.status) << (ok ? "      " : " ")
                << s.path;
      if (ok) std::cout << " (" << s.anchors << " certificates)";
      std::cout << "\n";
      continue;
    }
    int files = 0, with = 0, without = 0, refused = 0, anchors = 0;
    for (; i < r.sources.size() && r.sources[i].directory == s.directory; ++i) {
      const auto& f = r.sources[i];
      ++files;
      anchors += f.anchors;
      if (f.status == trust::SourceStatus::kRefused) {
        ++refused;
      } else if (not_certificates.count(f.display)) {
        ++without;
      } else if (f.anchors > 0) {
        ++with;
      }
    }
    --i;
    std::cout << "  source directory " << s.directory << " (" << files << " files: " << with
              << " with certificates, " << without << " not certificates";
    if (refused) std::cout << ", " << refused << " refused";
    std::cout << "; " << anchors << " certificates read)\n";
  }
}

}  // namespace

std::optional<agent::StoreOutcome> bring_store_up_to_date(Context& ctx) {
  agent::StoreRequest request = ctx.store_request();
  request.last_good_store_will_do = true;
  auto synced = agent::sync_store(request);
  if (!synced) {
    ctx.exit_code = fail(ctx, synced.error());
    return std::nullopt;
  }
  agent::log_store_outcome(*synced, ctx.log);
  return std::move(*synced);
}

int fail(const Context& ctx, const trust::Error& error) {
  if (ctx.json) {
    nlohmann::json j = {{"ok", false},
                        {"error", {{"code", code_name(error.code)}, {"message", error.message}}}};
    std::cout << agent::json_text(j);
  }
  ctx.log.error(error.message);
  return static_cast<int>(error.code);
}

nlohmann::json merge_json(const agent::StoreOutcome& outcome) {
  const auto& r = outcome.report;
  nlohmann::json j = {{"regenerated", r.regenerated},
                      {"anchors", r.anchors},
                      {"duplicates", r.duplicates},
                      {"added", changes_json(r.added)},
                      {"removed", changes_json(r.removed)}};
  if (r.regenerated) j["reason"] = r.why;
  auto sources = nlohmann::json::array();
  for (const auto& s : r.sources) {
    nlohmann::json src = {
        {"path", s.path}, {"status", trust::source_status_name(s.status)}, {"anchors", s.anchors}};
    if (!s.reason.empty()) src["reason"] = s.reason;
    if (!s.directory.empty()) src["directory"] = s.directory;
    sources.push_back(src);
  }
  j["sources"] = sources;
  auto skipped = nlohmann::json::array();
  for (const auto& s : r.skipped) {
    skipped.push_back({{"file", s.file}, {"block", s.block}, {"reason", s.reason}});
  }
  j["skipped"] = skipped;
  auto not_certificates = nlohmann::json::array();
  for (const auto& s : r.not_certificates) {
    not_certificates.push_back({{"file", s.file}, {"reason", s.reason}});
  }
  j["not_certificates"] = not_certificates;
  j["notes"] = r.notes;
  j["unlisted_sources"] = r.unlisted_sources;
  j["stale_store"] = outcome.stale_because.has_value();
  j["capath"] =
      outcome.hashed_directory ? nlohmann::json(*outcome.hashed_directory) : nlohmann::json();
  if (outcome.hashed_directory_error) j["capath_error"] = outcome.hashed_directory_error->message;
  j["rollover"] = outcome.rollover.notes;
  auto hooks = nlohmann::json::array();
  for (const auto& h : outcome.hooks) {
    nlohmann::json hook = {{"name", h.name}, {"ok", h.ok()}, {"exit_code", h.exit_code}};
    if (!h.ok()) hook["error"] = h.error;
    hooks.push_back(hook);
  }
  j["hooks"] = hooks;
  return j;
}

void print_merge_text(const agent::StoreOutcome& outcome) {
  const auto& r = outcome.report;
  if (r.regenerated) {
    std::cout << "merged store regenerated (" << r.why << "): " << r.anchors << " anchors";
  } else {
    std::cout << "merged store up to date: " << r.anchors << " anchors";
  }
  if (r.duplicates) std::cout << ", " << r.duplicates << " duplicates merged";
  std::cout << "\n";
  // A first merge of a system bundle adds hundreds; the full lists are in --json and the hooks.
  constexpr size_t kShown = 20;
  auto show = [](const std::vector<trust::AnchorChange>& changes, const char* sign) {
    for (size_t i = 0; i < changes.size() && i < kShown; ++i) {
      std::cout << "  " << sign << " " << changes[i].sha256 << "  " << changes[i].subject << "\n";
    }
    if (changes.size() > kShown) {
      std::cout << "  " << sign << " ... and " << changes.size() - kShown
                << " more (--json lists all)\n";
    }
  };
  show(r.added, "+");
  show(r.removed, "-");
  print_sources(r);
  for (const auto& h : outcome.hooks) {
    std::cout << "  hook " << h.name << ": " << (h.ok() ? "ok" : h.error) << "\n";
  }
}

int merge_exit_code(const agent::StoreOutcome& outcome) {
  bool clean =
      outcome.report.clean() && outcome.policy_errors.empty() && !outcome.hashed_directory_error;
  return clean ? 0 : static_cast<int>(trust::Code::kBadInput);
}

nlohmann::json cert_json(const trust::CertInfo& i) {
  return {{"sha256", i.sha256},
          {"sha1", i.sha1},
          {"subject", i.subject},
          {"issuer", i.issuer},
          {"serial", i.serial},
          {"not_before", trust::to_iso8601(i.not_before)},
          {"not_after", trust::to_iso8601(i.not_after)},
          {"self_signed", i.self_signed},
          {"is_ca", i.is_ca},
          {"key_type", i.key_type},
          {"key_bits", i.key_bits},
          {"signature_algorithm", i.signature_algorithm}};
}

}  // namespace cli

namespace cli {

nlohmann::json chain_json(const std::vector<agent::PresentedCert>& chain) {
  auto out = nlohmann::json::array();
  for (const auto& c : chain) {
    out.push_back({{"subject", c.info.subject},
                   {"issuer", c.info.issuer},
                   {"sha256", c.info.sha256},
                   {"sha1", c.info.sha1},
                   {"not_before", trust::to_iso8601(c.info.not_before)},
                   {"not_after", trust::to_iso8601(c.info.not_after)},
                   {"self_signed", c.info.self_signed}});
  }
  return out;
}

void print_chain(std::ostream& out, const std::vector<agent::PresentedCert>& chain) {
  if (chain.empty()) return;
  out << "chain the server presented:\n";
  for (size_t i = 0; i < chain.size(); ++i) {
    const auto& c = chain[i].info;
    out << "  [" << i + 1 << "] " << c.subject << (c.self_signed ? "  (self-signed)" : "")
        << "\n      issuer " << c.issuer << "\n      valid  " << trust::to_iso8601(c.not_before)
        << " to " << trust::to_iso8601(c.not_after) << "\n      sha256 " << c.sha256
        << "\n      sha1   " << c.sha1 << "\n";
  }
}

}  // namespace cli
