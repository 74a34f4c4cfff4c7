#include "agent/hooks.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

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
    // Editor backups and package-manager leftovers are not hooks (run-parts skips them too).
    if (name.empty() || name[0] == '.' || name.back() == '~' ||
        name.find(".dpkg-") != std::string::npos) {
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

HookRun run_one(const std::string& path, int program, const std::string& name, FILE* input,
                const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
  HookRun run;
  run.name = name;
  std::rewind(input);
  pid_t pid = ::fork();
  if (pid < 0) {
    run.exit_code = -1;
    run.error = std::string("cannot start: ") + std::strerror(errno);
    return run;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(::fileno(input), STDIN_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);  // keep our stdout (maybe JSON) clean
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    // The descriptor that was checked, not the path again: a script needs it open across exec
    // (the kernel hands it to the interpreter as /dev/fd/N), so a copy without close-on-exec.
    ::fexecve(::dup(program), argv, envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the kill below cannot race the child's call
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      run.exit_code = -1;
      run.error = std::string("lost track of it: ") + std::strerror(errno);
      return run;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.exit_code = -1;
      run.timed_out = true;
      run.error = "killed after " + std::to_string(timeout.count() / 1000.0).substr(0, 4) + " s";
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
    if (run.exit_code == 127)
      run.error = "could not be executed (exit 127)";
    else if (run.exit_code != 0)
      run.error = "exited with status " + std::to_string(run.exit_code);
  } else {
    run.exit_code = -1;
    run.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
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
    runs.push_back(run_one(path, program, name, input.get(), env, timeout));
    ::close(program);
  }
  return runs;
}

}  // namespace agent
