#include "trust/managed_source.h"

#include <sys/stat.h>

#include <unordered_set>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"

namespace trust {
namespace {

std::string annotated_pem(const CertInfo& info, std::string_view der) {
  std::string subject = info.subject;
  for (char& c : subject) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "# " + subject + "\n# sha256: " + info.sha256 + "\n" + to_pem(der);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool matches(const CertInfo& info, const Fingerprint& fp) {
  return fp.algorithm == Fingerprint::Algorithm::kSha256 ? info.sha256 == fp.hex
                                                         : info.sha1 == fp.hex;
}

}  // namespace

Result<AddOutcome> add_to_managed_source(const std::string& file, const std::string& target) {
  auto content = read_source_file(file);
  if (!content) return content.error();
  ReadResult incoming = read_certificates(*content);
  AddOutcome out;
  out.target = target;
  for (const auto& w : incoming.warnings) out.skipped.push_back({file, w.block, w.reason});
  if (incoming.certs.empty()) {
    std::string why =
        incoming.warnings.empty() ? "the file is empty" : describe(file, incoming.warnings.front());
    return make_error(Code::kBadInput, file + ": no certificate to add (" + why + ")");
  }

  std::vector<std::string> ders;
  for (auto& raw : incoming.certs) ders.push_back(std::move(raw.der));
  auto added = add_ders_to_managed_source(ders, target);
  if (!added) return added.error();
  added->skipped = std::move(out.skipped);
  return added;
}

Result<AddOutcome> add_ders_to_managed_source(const std::vector<std::string>& ders,
                                              const std::string& target) {
  AddOutcome out;
  out.target = target;
  std::string existing;
  if (exists(target)) {
    auto current = read_source_file(target);
    if (!current) return current.error();
    existing = std::move(*current);
  }
  std::unordered_set<std::string> present;
  for (const auto& c : split_certificates(existing).certs) present.insert(to_hex(c.sha256));

  std::string appended;
  for (const auto& der : ders) {
    auto cert = Certificate::from_der(der);
    if (!cert) return make_error(Code::kBadInput, "not a certificate: " + cert.error().message);
    CertInfo info = cert->info();
    if (!present.insert(info.sha256).second) {
      out.already_present.push_back(std::move(info));
      continue;
    }
    appended += annotated_pem(info, der);
    out.added.push_back(std::move(info));
  }
  if (appended.empty()) return out;
  if (!existing.empty() && existing.back() != '\n') existing += '\n';
  if (auto w = write_file_atomic(target, existing + appended); !w) return w.error();
  return out;
}

Result<RemoveOutcome> remove_from_managed_sources(const std::vector<std::string>& managed,
                                                  const Fingerprint& fingerprint) {
  RemoveOutcome out;
  for (const auto& path : managed) {
    if (!exists(path)) continue;
    auto content = read_source_file(path);
    if (!content) return content.error();
    ReadResult read = read_certificates(*content);
    std::string kept;
    int kept_count = 0;
    bool found = false;
    for (const auto& raw : read.certs) {
      auto cert = Certificate::from_der(raw.der);
      if (!cert) continue;
      CertInfo info = cert->info();
      if (matches(info, fingerprint)) {
        found = true;
        out.removed = std::move(info);
        continue;
      }
      kept += annotated_pem(info, raw.der);
      ++kept_count;
    }
    if (!found) continue;
    out.files.push_back(path);
    auto written = kept_count == 0 ? remove_file_durably(path) : write_file_atomic(path, kept);
    if (!written) return written.error();
  }
  if (out.files.empty()) {
    return make_error(Code::kBadInput, "no certificate with fingerprint " + fingerprint.hex +
                                           " in the agent-managed sources");
  }
  return out;
}

}  // namespace trust
