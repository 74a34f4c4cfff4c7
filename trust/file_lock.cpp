#include "trust/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

namespace trust {

Result<FileLock> FileLock::acquire(const std::string& path, double timeout_seconds) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    Error e =
        make_error(Code::kBadInput, path + ": cannot open lock file: " + std::strerror(errno));
    e.storage = errno == EROFS || errno == ENOSPC || errno == EDQUOT || errno == EACCES;
    return e;
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
