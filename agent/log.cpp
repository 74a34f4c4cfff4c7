#include "agent/log.h"

#include <syslog.h>

#include <cstdio>
#include <string>

#include "trust/safe_text.h"
#include "trust/time_format.h"

namespace agent {
namespace {

int priority(Severity s) {
  switch (s) {
    case Severity::kError:
      return LOG_ERR;
    case Severity::kAlarm:
    case Severity::kWarning:
      return LOG_WARNING;
    case Severity::kNotice:
      return LOG_NOTICE;
    case Severity::kInfo:
      break;
  }
  return LOG_INFO;
}

const char* command_line_label(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kAlarm:
      return "WARNING";
    case Severity::kWarning:
      return "warning";
    case Severity::kNotice:
    case Severity::kInfo:
      break;
  }
  return "note";
}

const char* daemon_label(Severity s) {
  switch (priority(s)) {
    case LOG_ERR:
      return "error";
    case LOG_WARNING:
      return "warning";
    case LOG_NOTICE:
      return "notice";
    default:
      return "info";
  }
}

}  // namespace

Log Log::command_line() { return Log(Sink::kCommandLine, trust::system_clock()); }

Log Log::daemon(bool use_syslog, const trust::Clock& clock) {
  if (use_syslog) ::openlog("trustagent", LOG_PID, LOG_DAEMON);
  return Log(use_syslog ? Sink::kSyslog : Sink::kStampedStderr, clock);
}

void Log::operator()(Severity severity, std::string_view raw) const {
  std::string message = trust::printable_text(raw);
  switch (sink_) {
    case Sink::kSyslog:
      ::syslog(priority(severity), "%s", message.c_str());
      return;
    case Sink::kStampedStderr:
      std::fprintf(stderr, "%s %s %s\n", trust::to_iso8601(clock_->now()).c_str(),
                   daemon_label(severity), message.c_str());
      break;
    case Sink::kCommandLine:
      std::fprintf(stderr, "trustagent: %s: %s\n", command_line_label(severity), message.c_str());
      break;
  }
  std::fflush(stderr);
}

}  // namespace agent
