#include "agent/outcome_log.h"

#include <string>

namespace agent {

void log_store_outcome(const StoreOutcome& outcome, const Log& log) {
  for (const auto& e : outcome.policy_errors) log.error("policy not applied: " + e.message);
  for (const auto& n : outcome.report.notes) log.warning(n);
  for (const auto& n : outcome.rollover.notes) log.notice("rollover: " + n);
  for (const auto& s : outcome.report.sources) {
    if (s.status == trust::SourceStatus::kRefused) log.error(s.path + ": refused: " + s.reason);
  }
  for (const auto& s : outcome.report.skipped) {
    log.warning(s.file + (s.block ? ": block " + std::to_string(s.block) : "") + ": " + s.reason);
  }
  for (const auto& h : outcome.hooks) {
    if (!h.ok()) log.warning("hook " + h.name + ": " + h.error);
  }
  if (const auto& e = outcome.hashed_directory_error) {
    log.error("the hashed directory was not updated (the store was): " + e->message);
  }
}

void log_refresh_report(const RefreshReport& r, const Log& log) {
  if (!r.unverified_by.empty()) {
    log.alarm("policy " + r.unverified_by +
              " turns SSLVerifyPeer off: the central server was NOT authenticated");
  }
  for (const auto& e : r.refused) log.error("policy refused: " + e.message);
  for (const auto& h : r.held_back) log.notice(h);
  for (const auto& e : r.servers_refused) log.warning("central server not taken: " + e.message);
  if (auto note = unauthenticated_transport_note(r); !note.empty()) {
    log.alarm("UNAUTHENTICATED central server: " + note);
  }
  if (r.signers_rotated) log.notice("the signed index replaced the policy signers");
}

}  // namespace agent
