#include "agent/hooks.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "trust/safe_text.h"
#include "trust/source_check.h"

namespace agent {
namespace {

std::vector<std::string> hook_names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    // Editor backups and package-manager leftovers are not hooks (run-parts skips them too):
    // dpkg's .dpkg-old/-dist/-new, and rpm's .rpmnew/.rpmsave/.rpmorig.
    if (name.empty() || name[0] == '.' || name.back() == '~' ||
        name.find(".dpkg-") != std::string::npos || name.find(".rpmnew") != std::string::npos ||
        name.find(".rpmsave") != std::string::npos || name.find(".rpmorig") != std::string::npos) {
      continue;
    }
    names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string changes_text(const trust::MergeReport& report) {
  std::string out;
  // One change per line, whatever a subject holds: NEL, U+2028 and U+2029 are escaped too.
  for (const auto& a : report.added) {
    out += "added " + a.sha256 + " " + trust::printable_text(a.subject) + "\n";
  }
  for (const auto& r : report.removed) {
    out += "removed " + r.sha256 + " " + trust::printable_text(r.subject) + "\n";
  }
  return out;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// posix_spawn's attributes and file actions, destroyed with their scope.
class Spawn {
 public:
  Spawn() {
    ::posix_spawnattr_init(&attributes_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  ~Spawn() {
    ::posix_spawnattr_destroy(&attributes_);
    ::posix_spawn_file_actions_destroy(&actions_);
  }
  Spawn(const Spawn&) = delete;
  Spawn& operator=(const Spawn&) = delete;

  // A hook runs in a process group of its own (so the timeout kills whatever it started), with
  // the caller's `input` on standard input, its standard output on our standard error (our
  // standard output may be JSON), no signal blocked and every disposition the default: the daemon
  // blocks SIGHUP/SIGTERM/SIGINT to take them synchronously, which a hook must not inherit.
  int start(pid_t& pid, const std::string& program, int input,
            const std::vector<std::string>& env) {
    sigset_t none, defaults;
    sigemptyset(&none);
    sigfillset(&defaults);  // whatever the agent ignores (SIGPIPE, SIGXFSZ), a hook does not
    sigdelset(&defaults, SIGKILL);
    sigdelset(&defaults, SIGSTOP);
    ::posix_spawnattr_setflags(
        &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ::posix_spawnattr_setpgroup(&attributes_, 0);
    ::posix_spawnattr_setsigmask(&attributes_, &none);
    ::posix_spawnattr_setsigdefault(&attributes_, &defaults);
    ::posix_spawn_file_actions_adddup2(&actions_, input, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions_, STDERR_FILENO, STDOUT_FILENO);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    return ::posix_spawn(&pid, program.c_str(), &actions_, &attributes_, argv, envp.data());
  }

 private:
  posix_spawnattr_t attributes_;
  posix_spawn_file_actions_t actions_;
};

enum class Waited { kExited, kTimedOut, kLost };

// Waits for `pid` until `deadline`, woken by SIGCHLD (blocked by the caller, so none is lost
// between the spawn and the wait) rather than by polling.
Waited wait_until(pid_t pid, int& status, std::chrono::steady_clock::time_point deadline) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return Waited::kExited;
    if (done < 0 && errno != EINTR) return Waited::kLost;
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return Waited::kTimedOut;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec wait{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::sigtimedwait(&child, nullptr, &wait);  // a SIGCHLD, the timeout or EINTR: look again
  }
}

std::string how_it_ended(int status, HookRun& run) {
  if (!WIFEXITED(status)) {
    run.exit_code = -1;
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  run.exit_code = WEXITSTATUS(status);
  if (run.exit_code == 127) return "could not be executed (exit 127)";
  if (run.exit_code != 0) return "exited with status " + std::to_string(run.exit_code);
  return "";
}

// `program` is the descriptor whose file was checked: it runs through /proc/self/fd, never by
// its path again, so a file swapped in after the check is not what runs. A script needs the
// descriptor open across exec (the kernel hands it to the interpreter as /dev/fd/N), so the
// child gets a copy without close-on-exec.
HookRun run_one(int program, const std::string& name, FILE* input,
                const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
  HookRun run;
  run.name = name;
  std::rewind(input);
  sigset_t child, previous;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  ::pthread_sigmask(SIG_BLOCK, &child, &previous);
  // An ignored SIGCHLD (inherited from a supervisor) would let the kernel reap the hook itself:
  // no signal, no exit status. The default disposition keeps both, and is put back after.
  struct sigaction default_action = {};
  struct sigaction inherited_action = {};
  default_action.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &default_action, &inherited_action);
  auto restore = [&] {
    ::sigaction(SIGCHLD, &inherited_action, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  };
  int inherited = ::fcntl(program, F_DUPFD, 3);
  pid_t pid = -1;
  int started = inherited < 0 ? errno
                              : Spawn().start(pid, "/proc/self/fd/" + std::to_string(inherited),
                                              ::fileno(input), env);
  if (inherited >= 0) ::close(inherited);
  if (started != 0) {
    restore();
    run.exit_code = -1;
    run.error = std::string("cannot start: ") + std::strerror(started) +
                (started == ENOENT ? " (hooks run through /proc/self/fd: is /proc mounted?)" : "");
    return run;
  }
  int status = 0;
  switch (wait_until(pid, status, std::chrono::steady_clock::now() + timeout)) {
    case Waited::kExited:
      run.error = how_it_ended(status, run);
      break;
    case Waited::kTimedOut:
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.exit_code = -1;
      run.timed_out = true;
      run.error = "killed after " + std::to_string(timeout.count() / 1000.0).substr(0, 4) + " s";
      break;
    case Waited::kLost:
      run.exit_code = -1;
      run.error = std::string("lost track of it: ") + std::strerror(errno);
      break;
  }
  restore();
  return run;
}

}  // namespace

std::vector<HookRun> run_hooks(const trust::Layout& layout, const trust::MergeReport& report,
                               std::chrono::milliseconds timeout) {
  std::vector<HookRun> runs;
  std::vector<std::string> names = hook_names(layout.hooks_dir);
  if (names.empty()) return runs;

  // hooks.d decides what runs, often as root: it must be a real directory (not a symlink) that
  // no other user can write, in an etc/ that no other user can write.
  std::string reason;
  if (!trust::is_trusted_directory(layout.hooks_dir, &reason)) {
    runs.push_back({"hooks.d", -1, false, "no hook was run: " + reason});
    return runs;
  }

  std::unique_ptr<FILE, FileCloser> input(std::tmpfile());
  if (!input) {
    runs.push_back({"hooks.d", -1, false, "cannot create the hooks' input"});
    return runs;
  }
  std::string text = changes_text(report);
  std::fwrite(text.data(), 1, text.size(), input.get());
  std::fflush(input.get());

  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TRUSTAGENT_HOME=" + layout.home,
      "TRUSTAGENT_STORE=" + layout.merged,
      "TRUSTAGENT_ANCHORS=" + std::to_string(report.anchors),
      "TRUSTAGENT_ADDED=" + std::to_string(report.added.size()),
      "TRUSTAGENT_REMOVED=" + std::to_string(report.removed.size()),
  };
  for (const auto& name : names) {
    std::string path = layout.hooks_dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
      continue;  // not an executable file: ignored, like run-parts
    }
    trust::SourceProbe probe = trust::probe_source(path);
    if (probe.presence != trust::SourceProbe::Presence::kPresent) {
      runs.push_back({name, -1, false, "not run: " + probe.reason});
      continue;
    }
    int program = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat opened {};
    if (program < 0 || ::fstat(program, &opened) != 0 ||
        static_cast<uint64_t>(opened.st_dev) != probe.stamp.dev ||
        static_cast<uint64_t>(opened.st_ino) != probe.stamp.ino) {
      if (program >= 0) ::close(program);
      runs.push_back({name, -1, false, "not run: replaced between its check and its start"});
      continue;
    }
    runs.push_back(run_one(program, name, input.get(), env, timeout));
    ::close(program);
  }
  return runs;
}

}  // namespace agent
