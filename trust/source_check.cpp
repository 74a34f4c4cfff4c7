#include "trust/source_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <sstream>

#include "trust/text.h"

namespace trust {
namespace {

std::string octal_mode(mode_t mode) {
  std::ostringstream out;
  out << '0' << std::oct << (mode & 07777);
  return out.str();
}

bool owner_ok(const struct stat& st) { return st.st_uid == 0 || st.st_uid == ::geteuid(); }

bool check_owner_and_mode(const std::string& what, const struct stat& st, bool is_dir,
                          std::string* reason) {
  if (!owner_ok(st)) {
    *reason = what + " is owned by uid " + std::to_string(st.st_uid) +
              " (must be root or the agent's user)";
    return false;
  }
  bool sticky = is_dir && (st.st_mode & S_ISVTX);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky) {
    *reason = what + " is writable by group or others (mode " + octal_mode(st.st_mode) +
              "; chmod go-w to fix)";
    return false;
  }
  return true;
}

bool check_directory(const std::string& dir, std::string* reason) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    *reason = "directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  return check_owner_and_mode("directory " + dir, st, true, reason);
}

FileStamp stamp_of(const struct stat& st) {
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
#ifdef __APPLE__
  s.mtime_ns = st.st_mtimespec.tv_sec * 1000000000LL + st.st_mtimespec.tv_nsec;
  s.ctime_ns = st.st_ctimespec.tv_sec * 1000000000LL + st.st_ctimespec.tv_nsec;
#else
  s.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  s.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
#endif
  s.mode = st.st_mode;
  s.uid = st.st_uid;
  return s;
}

}  // namespace

SourceProbe probe_source(const std::string& path) {
  SourceProbe probe;
  auto refuse = [&](std::string reason) {
    probe.presence = SourceProbe::Presence::kRefused;
    probe.reason = std::move(reason);
    return probe;
  };
  std::string file = path;
  std::string reason;
  struct stat st {};
  for (int hops = 0;; ++hops) {
    if (::lstat(file.c_str(), &st) != 0) {
      if (hops == 0 && (errno == ENOENT || errno == ENOTDIR)) return probe;  // missing
      if (hops == 0) return refuse(std::string("cannot stat: ") + std::strerror(errno));
      return refuse("symlink cannot be followed to " + file + ": " + std::strerror(errno));
    }
    if (!S_ISLNK(st.st_mode)) break;
    if (hops == 40) return refuse("too many levels of symlinks");
    // A link is only as trustworthy as its owner and its directory: another user's link in a
    // sticky directory such as /tmp could be pointed at their own file at any moment.
    if (!owner_ok(st)) {
      return refuse("symlink " + file + " is owned by uid " + std::to_string(st.st_uid) +
                    " (must be root or the agent's user)");
    }
    if (!check_directory(parent_directory(file), &reason)) return refuse(reason);
    char target[PATH_MAX];
    ssize_t n = ::readlink(file.c_str(), target, sizeof target);
    if (n < 0 || static_cast<size_t>(n) >= sizeof target) {
      return refuse("symlink " + file + " cannot be read: " + std::strerror(errno));
    }
    std::string next(target, static_cast<size_t>(n));
    if (next.empty()) return refuse("symlink " + file + " is empty");
    file = next.front() == '/' ? next : parent_directory(file) + "/" + next;
  }
  if (S_ISDIR(st.st_mode)) return refuse("is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return refuse("not a regular file");
  std::string what = file == path ? std::string("file") : "symlink target " + file;
  if (!check_owner_and_mode(what, st, false, &reason)) return refuse(reason);
  if (!check_directory(parent_directory(file), &reason)) return refuse(reason);
  probe.presence = SourceProbe::Presence::kPresent;
  probe.stamp = stamp_of(st);
  return probe;
}

bool is_trusted_directory(const std::string& dir, std::string* reason) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    *reason = "directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISLNK(st.st_mode)) {
    *reason = dir + " is a symlink (refused: what it points to could change under a check)";
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *reason = dir + " is not a directory";
    return false;
  }
  return check_owner_and_mode("directory " + dir, st, true, reason) &&
         check_directory(parent_directory(dir), reason);
}

bool is_trusted_path(const std::string& path, std::string* reason) {
  SourceProbe probe = probe_source(path);
  if (probe.presence == SourceProbe::Presence::kPresent) return true;
  *reason = probe.presence == SourceProbe::Presence::kMissing ? "missing" : probe.reason;
  return false;
}

}  // namespace trust
