// The one way trustagent says what happened beside its output, for a command and for the daemon
// alike: one event per line, whatever text a server, certificate or policy put in it (the message
// is made printable, so it cannot forge a second line or a terminal sequence).
//
//   command line:  "trustagent: warning: <message>" on stderr (labels below)
//   daemon:        "<ISO 8601 time> warning <message>" on stderr, or syslog(3) at the matching
//                  priority (LOG_DAEMON, tagged "trustagent")
#pragma once

#include <string_view>

#include "trust/clock.h"

namespace agent {

enum class Severity {
  kError,    // something was not done
  kAlarm,    // done, but with authentication off or bypassed ("WARNING" on a command line)
  kWarning,  // done, with something a person should look at
  kNotice,   // done, and worth knowing ("note")
  kInfo,     // the ordinary course of things
};

class Log {
 public:
  static Log command_line();
  static Log daemon(bool use_syslog, const trust::Clock& clock);

  void operator()(Severity severity, std::string_view message) const;
  void error(std::string_view m) const { (*this)(Severity::kError, m); }
  void alarm(std::string_view m) const { (*this)(Severity::kAlarm, m); }
  void warning(std::string_view m) const { (*this)(Severity::kWarning, m); }
  void notice(std::string_view m) const { (*this)(Severity::kNotice, m); }
  void info(std::string_view m) const { (*this)(Severity::kInfo, m); }

 private:
  enum class Sink { kCommandLine, kStampedStderr, kSyslog };
  Log(Sink sink, const trust::Clock& clock) : sink_(sink), clock_(&clock) {}

  Sink sink_;
  const trust::Clock* clock_;
};

}  // namespace agent
