// One writer at a time per home: an exclusive flock on <home>/var/lock. Unlike an O_EXCL lock file,
// a holder that crashes cannot leave it stale: the kernel drops the lock with the descriptor.
#pragma once

#include <string>

#include "trust/result.h"

namespace trust {

class FileLock {
 public:
  // Waits up to timeout_seconds (0: try once), then fails with Code::kLocked.
  static Result<FileLock> acquire(const std::string& path, double timeout_seconds);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace trust
