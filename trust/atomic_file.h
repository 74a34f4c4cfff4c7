// Replaces a file so that a crash at any instant leaves the old or the new content, never a mix:
// temporary ".<name>.tmp-XXXXXX" in the same directory, fchmod, full write, fsync, rename over the
// target, fsync the directory. On any error the temporary is removed and the target is untouched.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "trust/result.h"

namespace trust {

Result<void> write_file_atomic(const std::string& path, std::string_view content,
                               mode_t mode = 0644);

// Makes a directory's entries (created, renamed, removed) durable.
Result<void> sync_directory(const std::string& dir);

// Removes the file and fsyncs its directory; a missing file is not an error.
Result<void> remove_file_durably(const std::string& path);

// Temporaries left by a process that died mid-write. Call with the writer lock held.
void sweep_stale_temporaries(const std::string& dir);

// Creates `dir` and its missing parents, with the process umask (the agent sets 022).
Result<void> make_directories(const std::string& dir);

}  // namespace trust
