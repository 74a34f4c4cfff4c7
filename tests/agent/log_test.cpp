// agent::Log and the outcome reporters: the one way commands and the daemon say what happened.
#include "agent/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/outcome_log.h"

namespace {

using agent::Log;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    out.push_back(text.substr(start, nl - start));
  }
  EXPECT_EQ(start, text.size()) << "a line without its newline: " << text;
  return out;
}

template <class F>
std::vector<std::string> logged(F&& say) {
  testing::internal::CaptureStderr();
  say();
  return lines_of(testing::internal::GetCapturedStderr());
}

TEST(Log, ACommandLabelsEachLineWithItsSeverity) {
  Log log = Log::command_line();
  auto lines = logged([&] {
    log.error("e");
    log.alarm("a");
    log.warning("w");
    log.notice("n");
    log.info("i");
  });
  EXPECT_EQ(lines, (std::vector<std::string>{"trustagent: error: e", "trustagent: WARNING: a",
                                             "trustagent: warning: w", "trustagent: note: n",
                                             "trustagent: note: i"}));
}

TEST(Log, TheDaemonStampsEachLineWithTheClockItWasGiven) {
  trust::SetClock clock({1767323045, 0, ""});  // 2026-01-02T03:04:05Z
  Log log = Log::daemon(false, clock);
  auto lines = logged([&] {
    log.alarm("a");
    log.notice("n");
    log.error("e");
  });
  EXPECT_EQ(lines, (std::vector<std::string>{"2026-01-02T03:04:05Z warning a",
                                             "2026-01-02T03:04:05Z notice n",
                                             "2026-01-02T03:04:05Z error e"}));
}

TEST(Log, TextFromOutsideCannotForgeASecondLineOrATerminalSequence) {
  std::string hostile = "CN=x\ntrustagent: error: forged\r\x1b[2J";
  for (const Log& log : {Log::command_line(), Log::daemon(false, trust::system_clock())}) {
    auto lines = logged([&] { log.warning(hostile); });
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].find('\r'), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find('\x1b'), std::string::npos) << lines[0];
  }
}

TEST(Log, AStoreOutcomeIsToldInOneOrderWhoeverTellsIt) {
  agent::StoreOutcome outcome;
  outcome.policy_errors.push_back({trust::Code::kBadInput, "p.xml: broken"});
  outcome.report.notes.push_back("a note");
  outcome.rollover.notes.push_back("reserve activated");
  trust::SourceReport refused;
  refused.path = "/corp/ca.pem";
  refused.status = trust::SourceStatus::kRefused;
  refused.reason = "writable by others";
  outcome.report.sources.push_back(refused);
  outcome.report.sources.push_back({});  // missing: not a warning
  outcome.report.skipped.push_back({"/corp/ca.pem", 3, "private key"});
  outcome.hooks.push_back({"ok-hook", 0, false, ""});
  outcome.hooks.push_back({"bad-hook", 1, false, "exited 1"});
  outcome.hashed_directory_error = trust::Error{trust::Code::kBadInput, "disk full"};
  auto lines = logged([&] { agent::log_store_outcome(outcome, Log::command_line()); });
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "trustagent: error: policy not applied: p.xml: broken",
                "trustagent: warning: a note", "trustagent: note: rollover: reserve activated",
                "trustagent: error: /corp/ca.pem: refused: writable by others",
                "trustagent: warning: /corp/ca.pem: block 3: private key",
                "trustagent: warning: hook bad-hook: exited 1",
                "trustagent: error: the hashed directory was not updated (the store was): "
                "disk full"}));
}

TEST(Log, ARefreshThatBypassedAuthenticationIsAnAlarm) {
  agent::RefreshReport r;
  r.unverified_by = "lax";
  r.refused.push_back({trust::Code::kBadInput, "p2: revision went backwards"});
  r.servers_refused.push_back({trust::Code::kNetwork, "mirror: unreachable"});
  r.signers_rotated = true;
  auto lines = logged([&] { agent::log_refresh_report(r, Log::command_line()); });
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "trustagent: WARNING: policy lax turns SSLVerifyPeer off: the central "
                       "server was NOT authenticated",
                       "trustagent: error: policy refused: p2: revision went backwards",
                       "trustagent: warning: central server not taken: mirror: unreachable",
                       "trustagent: note: the signed index replaced the policy signers"}));
}

}  // namespace
