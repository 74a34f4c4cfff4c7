#include "trust/hashed_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "trust/atomic_file.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"
#include "trust/store_index.h"

namespace trust {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kGeneration = ".capath-";
constexpr std::string_view kBuilding = ".building";
constexpr std::string_view kLink = ".link";
// In each generation: "<file name> <sha256 of the anchor>" per line, in store order. OpenSSL's
// CApath lookup opens only "<hash>.<N>" names, so it never reads this.
constexpr std::string_view kManifest = ".manifest";

Error storage_error(const std::string& path, const std::string& what) {
  Error e = make_error(Code::kBadInput, path + ": " + what + ": " + std::strerror(errno));
  e.storage = true;
  return e;
}

bool is_hex16(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// ".capath-<16 hex>-<8 hex>" (a generation: the store's SHA-256, then what makes every build's
// name new; 0.5.0 to 0.7.0 wrote ".capath-<16 hex>" alone), and the same with ".building" or
// ".link" (one being made): nothing else in etc/ is the agent's to remove.
bool is_generation_name(std::string_view name, bool finished_only = false) {
  if (name.substr(0, kGeneration.size()) != kGeneration) return false;
  name.remove_prefix(kGeneration.size());
  if (!is_hex16(name.substr(0, 16))) return false;
  std::string_view rest = name.substr(16);
  if (rest.size() >= 9 && rest[0] == '-' &&
      std::all_of(rest.begin() + 1, rest.begin() + 9,
                  [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    rest.remove_prefix(9);
  }
  return rest.empty() || (!finished_only && (rest == kBuilding || rest == kLink));
}

// What etc/capath is now.
struct LinkState {
  bool present = false;
  bool ours = false;   // a link to a .capath-* generation
  std::string target;  // the generation's name when ours
};

LinkState link_state(const std::string& link) {
  LinkState s;
  struct stat st {};
  if (::lstat(link.c_str(), &st) != 0) return s;
  s.present = true;
  if (!S_ISLNK(st.st_mode)) return s;
  char buf[256];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return s;
  std::string target(buf, static_cast<size_t>(n));
  if (!is_generation_name(target, true)) return s;
  s.ours = true;
  s.target = target;
  return s;
}

// Generations (and half-built ones) other than `keep`, removed.
void remove_other_generations(const std::string& etc, const std::string& keep) {
  std::vector<std::string> stale;
  if (DIR* d = ::opendir(etc.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (is_generation_name(name) && name != keep) stale.push_back(name);
    }
    ::closedir(d);
  }
  std::error_code ec;
  for (const auto& name : stale) std::filesystem::remove_all(etc + "/" + name, ec);
  if (!stale.empty()) (void)sync_directory(etc);
}

Result<void> write_whole(int dir_fd, const std::string& name, std::string_view content,
                         const std::string& display) {
  int fd =
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return storage_error(display, "cannot create");
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = storage_error(display, "cannot write");
      ::close(fd);
      return e;
    }
    written += static_cast<size_t>(n);
  }
#ifndef __linux__
  if (::fsync(fd) != 0) {
    Error e = storage_error(display, "cannot sync");
    ::close(fd);
    return e;
  }
#endif
  if (::close(fd) != 0) return storage_error(display, "cannot close");
  return {};
}

struct Manifest {
  std::vector<std::pair<std::string, std::string>> files;  // name, sha256, in store order
  bool operator==(const Manifest&) const = default;
};

// "<8 hex of the subject hash>.<N>" per anchor, N counting up per hash in store order.
Manifest manifest_of(const LoadedIndex& index) {
  Manifest m;
  std::map<unsigned long, int> used;
  for (const auto& e : index.entries) {
    char name[32];
    std::snprintf(name, sizeof name, "%08lx.%d", e.subject_hash, used[e.subject_hash]++);
    m.files.emplace_back(name, e.sha256);
  }
  return m;
}

std::string manifest_text(const Manifest& m) {
  std::string out;
  for (const auto& [name, sha] : m.files) out += name + " " + sha + "\n";
  return out;
}

std::optional<Manifest> read_manifest(const std::string& dir) {
  auto text = read_source_file(dir + "/" + std::string(kManifest), 64 << 20);
  if (!text) return std::nullopt;
  Manifest m;
  size_t at = 0;
  while (at < text->size()) {
    size_t end = text->find('\n', at);
    if (end == std::string::npos) return std::nullopt;
    std::string line = text->substr(at, end - at);
    size_t space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    m.files.emplace_back(line.substr(0, space), line.substr(space + 1));
    at = end + 1;
  }
  return m;
}

// The generation holds exactly the manifest's files and the manifest: nothing added or removed
// by hand. (Content edited in place by root goes unseen here; `merge --force` rewrites it all.)
bool holds_exactly(const std::string& dir, const Manifest& m) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != ".." && name != kManifest) names.emplace_back(name);
    }
    ::closedir(d);
  } else {
    return false;
  }
  std::vector<std::string> expected;
  for (const auto& f : m.files) expected.push_back(f.first);
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  return names == expected;
}

// Each anchor's file: a hard link to the previous generation's file when that one holds the same
// anchor under the same name, else written. One change in a 10,000-anchor store costs one write
// and 9,999 links, not 10,000 writes.
Result<void> write_files(const std::string& dir, const Manifest& m, const LoadedIndex& index,
                         std::string_view store, const std::string& previous,
                         const std::optional<Manifest>& reusable) {
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return storage_error(dir, "cannot open");
  int old_fd = -1;
  std::map<std::string, std::string> old;
  if (reusable) {
    old_fd = ::open(previous.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (old_fd >= 0) old.insert(reusable->files.begin(), reusable->files.end());
  }
  Result<void> result;
  for (size_t i = 0; i < m.files.size() && result; ++i) {
    const auto& [name, sha] = m.files[i];
    auto same = old.find(name);
    if (same != old.end() && same->second == sha &&
        ::linkat(old_fd, name.c_str(), dir_fd, name.c_str(), 0) == 0) {
      continue;
    }
    const IndexEntry& e = index.entries[i];
    result = write_whole(dir_fd, name, store.substr(e.offset, e.length), dir + "/" + name);
  }
  if (result) result = write_whole(dir_fd, std::string(kManifest), manifest_text(m), dir);
#ifdef __linux__
  // One flush for the whole generation: 10,000 fsyncs would cost seconds.
  if (result && ::syncfs(dir_fd) != 0) result = storage_error(dir, "cannot sync");
#endif
  if (old_fd >= 0) ::close(old_fd);
  ::close(dir_fd);
  return result;
}

// A name no generation has had: a rebuild of the same store never touches the live directory.
std::string new_generation_name(const std::string& store_sha256) {
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%08x", static_cast<unsigned>(random()));
  return std::string(kGeneration) + store_sha256.substr(0, 16) + suffix;
}

// Writes `generation` beside the live one and makes it durable; `previous` (the live generation,
// when its files can be trusted) lends its unchanged files.
Result<void> write_generation(const Layout& layout, const std::string& generation,
                              const std::string& previous,
                              const std::optional<Manifest>& reusable) {
  auto index = load_index(layout.merged_index);
  auto store = read_source_file(layout.merged);
  if (!index || !store || to_hex(sha256_of(*store)) != index->store_sha256) {
    return make_error(Code::kBadInput, layout.merged_index +
                                           ": missing or stale, the hashed directory cannot be "
                                           "written; run merge --force");
  }
  for (const auto& e : index->entries) {
    if (e.offset + e.length > store->size()) {
      return make_error(Code::kBadInput, layout.merged_index + ": stale; run merge --force");
    }
  }
  std::string building = layout.etc_dir + "/" + generation + std::string(kBuilding);
  std::error_code ec;
  std::filesystem::remove_all(building, ec);
  if (::mkdir(building.c_str(), 0755) != 0) return storage_error(building, "cannot create");
  auto written = write_files(building, manifest_of(*index), *index, *store, previous, reusable);
  if (written) written = sync_directory(building);
  std::string final_path = layout.etc_dir + "/" + generation;
  if (written && ::rename(building.c_str(), final_path.c_str()) != 0) {
    written = storage_error(final_path, "cannot rename into place");
  }
  if (!written) {
    std::filesystem::remove_all(building, ec);
    return written.error();
  }
  return sync_directory(layout.etc_dir);
}

// Replaces etc/capath by rename, so that it names the old generation or the new one.
Result<void> point_link_at(const Layout& layout, const std::string& generation) {
  std::string temp =
      layout.etc_dir + "/" + std::string(kGeneration) + "link" + std::string(kBuilding);
  ::unlink(temp.c_str());
  if (::symlink(generation.c_str(), temp.c_str()) != 0) {
    return storage_error(temp, "cannot create link");
  }
  if (::rename(temp.c_str(), layout.capath.c_str()) != 0) {
    Error e = storage_error(layout.capath, "cannot replace");
    ::unlink(temp.c_str());
    return e;
  }
  return sync_directory(layout.etc_dir);
}

Result<HashedDirectoryChange> remove_ours(const Layout& layout, const LinkState& link) {
  if (!link.ours) {
    remove_other_generations(layout.etc_dir, "");  // strays of a crash, if any
    return HashedDirectoryChange::kNone;
  }
  if (auto removed = remove_file_durably(layout.capath); !removed) return removed.error();
  remove_other_generations(layout.etc_dir, "");
  return HashedDirectoryChange::kRemoved;
}

}  // namespace

Result<HashedDirectoryChange> keep_hashed_directory(const Layout& layout,
                                                    std::optional<bool> wanted, bool force) {
  LinkState link = link_state(layout.capath);
  if (wanted == false) return remove_ours(layout, link);
  if (!wanted && !link.ours) return HashedDirectoryChange::kNone;  // never asked for
  if (link.present && !link.ours) {
    return make_error(Code::kBadInput, layout.capath +
                                           " exists and was not made by trustagent: it is left "
                                           "alone; move it away to let the agent keep the hashed "
                                           "directory there");
  }
  auto index = load_index(layout.merged_index);
  if (!index || !is_hex16(std::string_view(index->store_sha256).substr(0, 16))) {
    return make_error(Code::kBadInput, layout.merged_index +
                                           ": missing or damaged, the hashed directory cannot be "
                                           "written; run merge --force");
  }
  // In step: the live generation was made from this store (its name and its manifest say so, the
  // manifest naming every anchor's SHA-256) and holds exactly the manifest's files.
  std::string live = link.ours ? layout.etc_dir + "/" + link.target : "";
  std::optional<Manifest> live_manifest = link.ours ? read_manifest(live) : std::nullopt;
  bool intact = live_manifest && holds_exactly(live, *live_manifest);
  bool same_store =
      link.ours && link.target.substr(kGeneration.size(), 16) == index->store_sha256.substr(0, 16);
  bool in_step = !force && intact && same_store && *live_manifest == manifest_of(*index);
  std::string generation = link.target;
  if (!in_step) {
    generation = new_generation_name(index->store_sha256);
    // Only an intact generation lends its files; --force and a repair write every file anew.
    auto lend = !force && intact ? live_manifest : std::nullopt;
    if (auto written = write_generation(layout, generation, live, lend); !written) {
      return written.error();
    }
    if (auto linked = point_link_at(layout, generation); !linked) return linked.error();
  }
  remove_other_generations(layout.etc_dir, generation);
  return in_step ? HashedDirectoryChange::kNone : HashedDirectoryChange::kWritten;
}

AgentOutputs::AgentOutputs(const Layout& layout) {
  std::error_code ec;
  etc_ = fs::weakly_canonical(layout.etc_dir, ec).string();
  merged_ = fs::weakly_canonical(layout.merged, ec).string();
  merged_index_ = fs::weakly_canonical(layout.merged_index, ec).string();
}

bool AgentOutputs::contain(const std::string& path) const {
  std::error_code ec;
  fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return false;
  if (real == merged_ || real == merged_index_) return true;
  // A file of a generation, whether reached through etc/capath or directly.
  return real.parent_path().parent_path() == etc_ &&
         is_generation_name(real.parent_path().filename().string());
}

}  // namespace trust
