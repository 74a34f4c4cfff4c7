#include "trust/cert_cache.h"

#include <charconv>
#include <string_view>
#include <vector>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

// Version 2: subjects and issuers are stored as printable_text() (safe_text.h). Version 3: the
// server names follow as further fields (printable_text too, so never holding a tab or newline).
constexpr std::string_view kHeader = "trustagent-cert-cache 3";
constexpr size_t kFields = 13;  // before the names

}  // namespace

CertCache CertCache::load(const std::string& path) {
  CertCache cache;
  auto content = read_source_file(path);
  if (!content) return cache;
  std::string_view text = *content;
  size_t eol = text.find('\n');
  if (text.substr(0, eol) != kHeader) return cache;
  size_t pos = eol == std::string_view::npos ? text.size() : eol + 1;
  std::vector<std::string_view> f;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    tab_fields(line, f);
    if (f.size() < kFields) continue;
    auto key = sha256_from_hex(f[0]);
    if (!key) continue;
    CertInfo i;
    int flags = 0;
    if (!parse_number(f[3], i.not_before) || !parse_number(f[4], i.not_after) ||
        !parse_number(f[5], flags) || !parse_number(f[7], i.key_bits) ||
        !parse_number(f[9], i.subject_hash, 16)) {
      continue;
    }
    i.sha256 = f[0];
    i.sha1 = f[1];
    i.serial = f[2];
    i.self_signed = flags & 1;
    i.is_ca = flags & 2;
    i.key_type = f[6];
    i.signature_algorithm = f[8];
    i.subject = f[10];
    i.issuer = f[11];
    i.key_id = f[12];
    for (size_t n = kFields; n < f.size(); ++n) i.server_names.emplace_back(f[n]);
    cache.entries_.emplace(*key, std::move(i));
  }
  return cache;
}

CertCache CertCache::on_demand(const std::string& path) {
  CertCache cache;
  cache.pending_path_ = path;
  return cache;
}

void CertCache::load_if_pending() const {
  if (!pending_path_) return;
  std::string path = std::move(*pending_path_);
  pending_path_.reset();
  entries_ = load(path).entries_;
}

const CertInfo* CertCache::find(const Sha256& sha256) const {
  load_if_pending();
  auto it = entries_.find(sha256);
  return it == entries_.end() ? nullptr : &it->second;
}

const CertInfo* CertCache::find(const std::string& sha256_hex) const {
  auto key = sha256_from_hex(sha256_hex);
  return key ? find(*key) : nullptr;
}

void CertCache::insert(const Sha256& sha256, CertInfo info) {
  load_if_pending();
  entries_.insert_or_assign(sha256, std::move(info));
  dirty_ = true;
}

Result<void> CertCache::save(const std::string& path,
                             const std::unordered_set<Sha256, DigestHash>& keep) const {
  load_if_pending();
  std::string out(kHeader);
  out += '\n';
  out.reserve(keep.size() * 300);
  for (const auto& [key, i] : entries_) {
    if (!keep.count(key)) continue;
    out += i.sha256 + '\t' + i.sha1 + '\t' + i.serial + '\t' + std::to_string(i.not_before) + '\t' +
           std::to_string(i.not_after) + '\t' +
           std::to_string((i.self_signed ? 1 : 0) | (i.is_ca ? 2 : 0)) + '\t' +
           record_field(i.key_type) + '\t' + std::to_string(i.key_bits) + '\t' +
           record_field(i.signature_algorithm) + '\t' + hex_number(i.subject_hash) + '\t' +
           record_field(i.subject) + '\t' + record_field(i.issuer) + '\t' + i.key_id;
    for (const auto& name : i.server_names) out += '\t' + record_field(name);
    out += '\n';
  }
  return write_file_atomic(path, out);
}

}  // namespace trust
