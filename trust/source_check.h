// Strict sources, after OpenSSH's StrictModes: a trust source that another local user could write
// would let that user add a trust anchor. The path is resolved one component at a time: every
// directory on the way must be owned by root or the agent's user and not be writable by group or
// others (a sticky directory such as /tmp is accepted), every symlink on the way must be owned by
// root or the agent's user, and the file itself must pass the same owner and mode rules.
//
// The check is by path, so the read that follows must prove it opened the file that was checked:
// read_source_file(path, limit, &probe.stamp) refuses a file whose device and inode differ, and
// hooks are executed from the descriptor that was compared.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace trust {

// What stat says about a file; equal stamps mean the file has not been touched.
struct FileStamp {
  uint64_t dev = 0, ino = 0;
  int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  uint32_t mode = 0, uid = 0;

  bool operator==(const FileStamp&) const = default;
};

struct SourceProbe {
  enum class Presence { kPresent, kMissing, kRefused };
  Presence presence = Presence::kMissing;
  FileStamp stamp;     // of the file itself, when present
  std::string reason;  // why refused
};

// A stat or two per call: this is the whole cost of the no-change check.
SourceProbe probe_source(const std::string& path);

// A directory only the agent writes and whose files it believes (var/, var/state/: locks,
// acknowledgements, held-back policies, the accepted index): a trusted directory that is not
// writable by group or others even when sticky, since a sticky directory still lets another user
// plant a file that is not there yet.
bool is_private_directory(const std::string& dir, std::string* reason);

// A directory trustagent takes instructions from (hooks.d, var/policies): a real directory, not a
// symlink, passing the ownership and mode rules, in a parent that passes them too.
bool is_trusted_directory(const std::string& dir, std::string* reason);

}  // namespace trust
