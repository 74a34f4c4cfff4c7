#include "trust/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

namespace trust {

Result<FileLock> FileLock::acquire(const std::string& path, double timeout_seconds) {
  // 0600: flock() needs no write access, so a lock file another user can open is a lock that
  // user can hold, and stop the agent with.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    Error e =
        make_error(Code::kBadInput, path + ": cannot open lock file: " + std::strerror(errno));
    e.storage = errno == EROFS || errno == ENOSPC || errno == EDQUOT || errno == EACCES;
    return e;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    // A lock file made by an earlier version (0644): closing it to others takes effect for every
    // open that follows; one already open elsewhere is dropped when its holder closes it.
    if (st.st_uid != ::geteuid() || ::fchmod(fd, 0600) != 0) {
      ::close(fd);
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return make_error(Code::kBadInput, path + ": lock file is open to other users (mode " + mode +
                                             ") and cannot be made private");
    }
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  while (true) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return FileLock(fd);
    if (errno != EWOULDBLOCK && errno != EINTR) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return make_error(Code::kBadInput, path + ": cannot lock: " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::close(fd);
  std::ostringstream msg;
  msg << path << ": another trustagent process is writing (waited " << timeout_seconds
      << " s; see --lock-timeout)";
  return make_error(Code::kLocked, msg.str());
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace trust
