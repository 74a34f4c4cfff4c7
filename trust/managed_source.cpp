#include "trust/managed_source.h"

#include <sys/stat.h>

#include <unordered_set>

#include "trust/atomic_file.h"
#include "trust/cert_cache.h"
#include "trust/pem_parity.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace trust {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct Held {
  CertInfo info;
  std::string der;
};

// The whole file, regenerated from its certificates: text that was in it besides them (comments,
// other blocks, anything planted) does not survive a write by the agent.
Result<void> write_source(const std::string& path, const std::vector<Held>& certs) {
  std::string text;
  std::vector<ExpectedCert> expected;
  for (const auto& c : certs) text += annotated_certificate(c.info, c.der);
  for (const auto& c : certs) expected.push_back({c.der, c.info.subject});
  if (auto checked = check_reads_back(text, expected, path); !checked) return checked;
  return write_file_atomic(path, text);
}

// The certificates a managed source holds now, as trustagent reads it.
Result<std::vector<Held>> read_source(const std::string& path) {
  std::vector<Held> out;
  if (!exists(path)) return out;
  auto content = read_source_file(path);
  if (!content) return content.error();
  for (auto& raw : split_certificates(*content).certs) {
    auto cert = Certificate::from_der(raw.der);
    if (cert) out.push_back({cert->info(), std::move(raw.der)});
  }
  return out;
}

// What an import needs of a certificate once it is decoded. The decoded form is not kept: at
// 100,000 certificates, OpenSSL's objects would cost about 5 kB each for nothing.
struct Incoming {
  Held cert;
  std::string defect;  // store_defect(), empty when the certificate may be stored
};

Incoming incoming_from(Certificate cert) {
  std::string defect = store_defect(cert);
  CertInfo info = cert.info();
  return {{std::move(info), std::move(cert).take_der()}, std::move(defect)};
}

// Adds certificates decoded once by the caller; `out` may already hold what was skipped.
Result<AddOutcome> add_certificates(std::vector<Incoming> certs, const std::string& target,
                                    AddOutcome out, CertCache* cache) {
  out.target = target;
  if (auto made = make_directories(parent_directory(target)); !made) return made.error();
  auto held = read_source(target);
  if (!held) return held.error();
  std::unordered_set<std::string> present;
  for (const auto& c : *held) present.insert(c.info.sha256);
  for (auto& [cert, defect] : certs) {
    if (!defect.empty()) {
      return make_error(Code::kBadInput, "refusing " + cert.info.subject + " (sha256 " +
                                             cert.info.sha256 + "): " + defect + "; " + target +
                                             " is unchanged");
    }
    if (!present.insert(cert.info.sha256).second) {
      out.already_present.push_back(std::move(cert.info));
      continue;
    }
    out.added.push_back(cert.info);
    if (cache != nullptr) cache->insert(sha256_of(cert.der), cert.info);
    held->push_back(std::move(cert));
  }
  if (out.added.empty()) return out;
  if (auto w = write_source(target, *held); !w) return w.error();
  return out;
}

bool matches(const CertInfo& info, const Fingerprint& fp) {
  return fp.algorithm == Fingerprint::Algorithm::kSha256 ? info.sha256 == fp.hex
                                                         : info.sha1 == fp.hex;
}

}  // namespace

std::string annotated_certificate(const CertInfo& info, std::string_view der) {
  return "# " + pem_comment_text(info.subject) + "\n# sha256: " + pem_comment_text(info.sha256) +
         "\n" + to_pem(der);
}

Result<AddOutcome> add_to_managed_source(const std::string& file, const std::string& target,
                                         CertCache* cache) {
  auto content = read_source_file(file);
  if (!content) return content.error();
  ReadResult incoming = split_certificates(*content);
  content->clear();
  content->shrink_to_fit();
  std::vector<Incoming> certs;
  for (auto& raw : incoming.certs) {
    auto cert = Certificate::from_der(std::move(raw.der));
    if (cert) {
      certs.push_back(incoming_from(std::move(*cert)));
    } else {
      incoming.warn({raw.block, "malformed certificate (" + cert.error().message + "), skipped"});
    }
  }
  AddOutcome out;
  for (const auto& w : incoming.warnings) out.skipped.push_back({file, w.block, w.reason});
  if (incoming.more_warnings > 0) {
    out.skipped.push_back(
        {file, 0, std::to_string(incoming.more_warnings) + " more blocks skipped (not listed)"});
  }
  if (certs.empty()) {
    std::string why =
        incoming.warnings.empty() ? "the file is empty" : describe(file, incoming.warnings.front());
    return make_error(Code::kBadInput, file + ": no certificate to add (" + why + ")");
  }
  incoming.certs.clear();
  return add_certificates(std::move(certs), target, std::move(out), cache);
}

Result<AddOutcome> add_ders_to_managed_source(const std::vector<std::string>& ders,
                                              const std::string& target, CertCache* cache) {
  std::vector<Incoming> certs;
  for (const auto& der : ders) {
    auto cert = Certificate::from_der(der);
    if (!cert) return make_error(Code::kBadInput, "not a certificate: " + cert.error().message);
    certs.push_back(incoming_from(std::move(*cert)));
  }
  return add_certificates(std::move(certs), target, {}, cache);
}

Result<void> write_managed_source(const std::string& path, const std::vector<std::string>& ders) {
  std::vector<Held> certs;
  for (const auto& der : ders) {
    auto cert = Certificate::from_der(der);
    if (!cert) return make_error(Code::kBadInput, "not a certificate: " + cert.error().message);
    certs.push_back({cert->info(), der});
  }
  return write_source(path, certs);
}

Result<RemoveOutcome> remove_from_managed_sources(const std::vector<std::string>& managed,
                                                  const Fingerprint& fingerprint) {
  RemoveOutcome out;
  for (const auto& path : managed) {
    auto held = read_source(path);
    if (!held) return held.error();
    std::vector<Held> kept;
    bool found = false;
    for (auto& c : *held) {
      if (matches(c.info, fingerprint)) {
        found = true;
        out.removed = c.info;
        continue;
      }
      kept.push_back(std::move(c));
    }
    if (!found) continue;
    out.files.push_back(path);
    auto written = kept.empty() ? remove_file_durably(path) : write_source(path, kept);
    if (!written) return written.error();
  }
  if (out.files.empty()) {
    return make_error(Code::kBadInput, "no certificate with fingerprint " + fingerprint.hex +
                                           " in the agent-managed sources");
  }
  return out;
}

}  // namespace trust
