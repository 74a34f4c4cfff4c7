#include "trust/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "trust/text.h"

namespace trust {
namespace {

constexpr std::string_view kTempMarker = ".tmp-";

Error io_error(const std::string& what, const std::string& path) {
  Error e = make_error(Code::kBadInput, path + ": " + what + ": " + std::strerror(errno));
  e.storage = true;
  return e;
}

int full_sync(int fd) {
#ifdef __APPLE__
  // fsync does not flush the drive's cache on Darwin; F_FULLFSYNC does.
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return ::fsync(fd);
}

}  // namespace

Result<void> sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory to sync", dir);
  int rc = full_sync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) return io_error("cannot sync directory", dir);
  return {};
}

namespace {

// Test-only seam: TRUSTAGENT_TEST_CRASH=<stage>:<file name> makes the process die at that stage
// of writing that file, so crash safety is tested on the real code path. Compiled in only when
// the tests are built (TRUSTAGENT_TEST_SEAMS): a packager's Release binary has no such door.
void maybe_crash([[maybe_unused]] const char* stage, [[maybe_unused]] const std::string& path) {
#ifdef TRUSTAGENT_TEST_SEAMS
  const char* spec = std::getenv("TRUSTAGENT_TEST_CRASH");
  if (spec == nullptr) return;
  std::string want = std::string(stage) + ":" + file_name(path);
  if (want == spec) ::_exit(86);
#endif
}

}  // namespace

Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
  const std::string dir = parent_directory(path);
  std::string temp = dir + "/." + file_name(path) + std::string(kTempMarker) + "XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return io_error("cannot create a temporary file", dir);

  auto fail = [&](const char* what) -> Result<void> {
    Error e = io_error(what, path);
    ::close(fd);
    ::unlink(temp.c_str());
    return e;
  };
  if (::fchmod(fd, mode) != 0) return fail("cannot set permissions");
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    written += static_cast<size_t>(n);
  }
  maybe_crash("after-write", path);
  if (full_sync(fd) != 0) return fail("cannot sync");
  maybe_crash("after-fsync", path);
  if (::close(fd) != 0) {
    Error e = io_error("cannot close", path);
    ::unlink(temp.c_str());
    return e;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Error e = io_error("cannot replace", path);
    ::unlink(temp.c_str());
    return e;
  }
  maybe_crash("after-rename", path);
  return sync_directory(dir);
}

Result<void> remove_file_durably(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return io_error("cannot remove", path);
  }
  return sync_directory(parent_directory(path));
}

void sweep_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() > 1 && name[0] == '.' && name.find(kTempMarker) != std::string_view::npos) {
      ::unlinkat(::dirfd(d), entry->d_name, 0);
    }
  }
  ::closedir(d);
}

Result<void> make_directories(const std::string& dir) {
  // Component by component, so that every directory the agent creates is 0755 whatever the
  // umask: a group-writable var/ or var/state/ would be refused (trust/source_check.h).
  std::filesystem::path so_far;
  for (const auto& part : std::filesystem::path(dir)) {
    so_far /= part;
    if (::mkdir(so_far.c_str(), 0755) == 0) {
      ::chmod(so_far.c_str(), 0755);
    } else if (errno != EEXIST) {
      Error e =
          make_error(Code::kBadInput, dir + ": cannot create directory: " + std::strerror(errno));
      e.storage = true;
      return e;
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    Error e = make_error(Code::kBadInput, dir + ": cannot create directory: not a directory");
    e.storage = true;
    return e;
  }
  return {};
}

}  // namespace trust
