#include "trust/source_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <optional>
#include <sstream>
#include <vector>

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

namespace {

// Where walking a path ended: the last component, resolved, and what lstat says of it.
struct Walk {
  enum class End { kFound, kMissing, kRefused } end = End::kFound;
  std::string resolved;
  struct stat st {};
  std::string reason;
};

// Resolves `path` one component at a time, as the kernel would, and refuses at the first
// directory or symlink on the way that a user other than root or the agent's could change: a
// directory must be theirs and not writable by group or others (unless sticky, like /tmp), and a
// symlink must be theirs. The last component is followed when it is a symlink only if
// `follow_last`. This is OpenSSH's StrictModes walk, with symlinks resolved rather than trusted.
// Puts the components of `p` in front of what is left to walk ("a//b/" gives "a", "b").
void push_front_components(std::deque<std::string>& rest, const std::string& p) {
  std::vector<std::string> parts;
  size_t from = 0;
  while (from <= p.size()) {
    size_t slash = p.find('/', from);
    if (slash == std::string::npos) slash = p.size();
    if (slash > from) parts.push_back(p.substr(from, slash - from));
    from = slash + 1;
  }
  rest.insert(rest.begin(), parts.begin(), parts.end());
}

// `path` made absolute against the working directory; nullopt when that cannot be known.
std::optional<std::string> absolute(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return std::nullopt;
  return std::string(cwd) + "/" + path;
}

// Puts the symlink's target in front of the components still to walk (from "/" when it is
// absolute); the reason it cannot be followed otherwise.
std::optional<std::string> follow_symlink(const std::string& link, const struct stat& st,
                                          std::string& dir, std::deque<std::string>& rest) {
  if (!owner_ok(st)) {
    return "symlink " + link + " is owned by uid " + std::to_string(st.st_uid) +
           " (must be root or the agent's user)";
  }
  char target[PATH_MAX];
  ssize_t n = ::readlink(link.c_str(), target, sizeof target);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof target) {
    return "symlink " + link + " cannot be read";
  }
  std::string to(target, static_cast<size_t>(n));
  if (to.front() == '/') dir = "/";
  push_front_components(rest, to);
  return std::nullopt;
}

Walk walk_path(const std::string& path, bool follow_last) {
  Walk w;
  auto refuse = [&](std::string reason) {
    w.end = Walk::End::kRefused;
    w.reason = std::move(reason);
    return w;
  };
  std::deque<std::string> rest;
  auto start = absolute(path);
  if (!start) return refuse("cannot resolve a relative path");
  push_front_components(rest, *start);
  std::string dir = "/";
  struct stat st {};
  if (::lstat("/", &st) != 0 || !check_owner_and_mode("directory /", st, true, &w.reason)) {
    return refuse(w.reason.empty() ? "cannot stat /" : w.reason);
  }
  int hops = 0;
  while (!rest.empty()) {
    std::string name = rest.front();
    rest.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      dir = parent_directory(dir);
      continue;
    }
    std::string next = dir == "/" ? "/" + name : dir + "/" + name;
    bool last = rest.empty();
    if (::lstat(next.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        return refuse("cannot stat " + next + ": " + std::strerror(errno));
      }
      if (hops > 0)
        return refuse("symlink cannot be followed to " + next + ": " + std::strerror(errno));
      w.end = Walk::End::kMissing;
      w.resolved = next;
      return w;
    }
    if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (++hops > 40) return refuse("too many levels of symlinks");
      if (auto refused = follow_symlink(next, st, dir, rest)) return refuse(*refused);
      continue;
    }
    if (last) {
      w.resolved = next;
      w.st = st;
      return w;
    }
    if (!S_ISDIR(st.st_mode)) return refuse(next + " is not a directory");
    if (!check_owner_and_mode("directory " + next, st, true, &w.reason)) return refuse(w.reason);
    dir = next;
  }
  // The path named a directory (or "/") and ended in "." or "..".
  w.resolved = dir;
  if (::lstat(dir.c_str(), &w.st) != 0) return refuse("cannot stat " + dir);
  return w;
}

}  // namespace

SourceProbe probe_source(const std::string& path) {
  SourceProbe probe;
  auto refuse = [&](std::string reason) {
    probe.presence = SourceProbe::Presence::kRefused;
    probe.reason = std::move(reason);
    return probe;
  };
  Walk w = walk_path(path, true);
  if (w.end == Walk::End::kMissing) return probe;
  if (w.end == Walk::End::kRefused) return refuse(w.reason);
  if (S_ISDIR(w.st.st_mode)) return refuse("is a directory, not a file");
  if (!S_ISREG(w.st.st_mode)) return refuse("not a regular file");
  std::string what = w.resolved == path ? std::string("file") : "symlink target " + w.resolved;
  std::string reason;
  if (!check_owner_and_mode(what, w.st, false, &reason)) return refuse(reason);
  probe.presence = SourceProbe::Presence::kPresent;
  probe.stamp = stamp_of(w.st);
  return probe;
}

bool is_trusted_directory(const std::string& dir, std::string* reason) {
  Walk w = walk_path(dir, false);
  if (w.end != Walk::End::kFound) {
    *reason = w.end == Walk::End::kMissing ? dir + " does not exist" : w.reason;
    return false;
  }
  if (S_ISLNK(w.st.st_mode)) {
    *reason = dir + " is a symlink (refused: what it points to could change under a check)";
    return false;
  }
  if (!S_ISDIR(w.st.st_mode)) {
    *reason = dir + " is not a directory";
    return false;
  }
  return check_owner_and_mode("directory " + dir, w.st, true, reason);
}

bool is_private_directory(const std::string& dir, std::string* reason) {
  if (!is_trusted_directory(dir, reason)) return false;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    *reason = dir + ": " + std::strerror(errno);
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    *reason = "directory " + dir + " is writable by group or others (mode " +
              octal_mode(st.st_mode) + "; chmod go-w to fix)";
    return false;
  }
  return true;
}

}  // namespace trust
