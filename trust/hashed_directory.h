// The merged store as a hashed directory, for programs that take a CApath (openssl -CApath, many
// daemons): <home>/etc/capath/<subject hash>.<N>, one PEM anchor per file, named as
// `openssl rehash` names them (N counts the anchors of one subject hash, in store order).
//
// etc/capath is a symbolic link to etc/.capath-<first 16 hex of the store's SHA-256>-<8 hex>,
// a name no earlier build had: every build, a rebuild of the same store included, is written
// whole beside the live one and made durable, then the link is replaced by rename, so a reader
// sees the old directory or the new one, never a mix, and never one being deleted. Files of
// anchors that did not change are hard links to the live generation's (one change costs one
// write and n links). Older generations are removed afterwards; a crash leaves at most a stray
// generation, removed by the next call.
//
// Each generation holds a .manifest (file name and anchor SHA-256, in store order; OpenSSL's
// lookup never opens it). The live one is in step when its manifest is the store's and it holds
// exactly the manifest's files; otherwise (a file added or removed by hand) it is rebuilt
// without lending its files, and `force` always rebuilds so.
//
// Only a link the agent made (to a .capath-<16 hex>[-<8 hex>] generation) is ever replaced or
// removed: a directory or link an administrator put at etc/capath is left alone, and asking for
// the hashed directory then fails with a message that names it. The caller holds the writer lock.
#pragma once

#include <optional>
#include <string>

#include "trust/layout.h"
#include "trust/result.h"

namespace trust {

enum class HashedDirectoryChange { kNone, kWritten, kRemoved };

// wanted true: make etc/capath, or keep it in step with the merged store as last written (a no-op
// when it already is). nullopt: keep it in step if the agent made one, so that no command leaves
// it stale. false: remove the agent's etc/capath.
Result<HashedDirectoryChange> keep_hashed_directory(const Layout& layout,
                                                    std::optional<bool> wanted, bool force);

// The agent's own outputs (the merged store, its index, the hashed directory): such a file must
// never be read back as a source. The home's paths are resolved once, each source's per call.
class AgentOutputs {
 public:
  explicit AgentOutputs(const Layout& layout);
  bool contain(const std::string& path) const;

 private:
  std::string etc_, merged_, merged_index_;
};

}  // namespace trust
