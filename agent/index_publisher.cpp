#include "agent/index_publisher.h"

#include <algorithm>
#include <filesystem>

#include "trust/atomic_file.h"
#include "trust/certificate.h"
#include "trust/cms_signature.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

// The serial of the index already in DIR, if it has one.
int64_t previous_serial(const std::string& index_path) {
  auto old = trust::read_source_file(index_path, policy::kMaxIndexBytes);
  if (!old) return 0;
  auto parsed = policy::parse_index(*old, index_path);
  return parsed && parsed->header.serial ? *parsed->header.serial : 0;
}

trust::Result<trust::Certificate> one_certificate(const std::string& path) {
  auto content = trust::read_source_file(path, 1 << 20);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  if (read.certs.size() != 1) {
    return trust::make_error(trust::Code::kBadInput,
                             path + ": must hold exactly one certificate (it holds " +
                                 std::to_string(read.certs.size()) + ")");
  }
  auto cert = trust::Certificate::from_der(read.certs.front().der);
  if (!cert) return trust::make_error(trust::Code::kBadInput, path + ": " + cert.error().message);
  return cert;
}

trust::Result<std::vector<std::string>> next_signers(const std::string& path) {
  if (path.empty()) return std::vector<std::string>();
  auto content = trust::read_source_file(path, 1 << 20);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  if (!read.warnings.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             trust::describe(path, read.warnings[0]) + ": give certificates alone");
  }
  if (read.certs.empty() || read.certs.size() > policy::kMaxIndexSigners) {
    return trust::make_error(
        trust::Code::kBadInput,
        path + ": must hold 1 to " + std::to_string(policy::kMaxIndexSigners) + " certificates");
  }
  std::vector<std::string> out;
  for (auto& c : read.certs) out.push_back(std::move(c.der));
  return out;
}

trust::Result<std::optional<std::string>> passphrase(const std::string& pass_file) {
  if (pass_file.empty()) return std::optional<std::string>();
  auto text = trust::read_source_file(pass_file, 4096);
  if (!text) return text.error();
  std::string first = text->substr(0, text->find('\n'));
  if (!first.empty() && first.back() == '\r') first.pop_back();
  return std::optional(first);
}

struct Signed {
  std::string index, signature;
  policy::AcceptedIndex terms;
};

trust::Result<Signed> sign_index(const std::string& index_path,
                                 const std::vector<policy::IndexEntry>& entries,
                                 const IndexSigning& signing, int64_t now) {
  auto cert = one_certificate(signing.cert_file);
  if (!cert) return cert.error();
  auto pass = passphrase(signing.pass_file);
  if (!pass) return pass.error();
  auto key = trust::load_private_key(signing.key_file, *pass);
  if (!key) return key.error();
  policy::IndexHeader header;
  header.serial = std::max(previous_serial(index_path) + 1, now);
  header.expires = now + signing.lifetime_seconds;
  auto signers = next_signers(signing.next_signers_file);
  if (!signers) return signers.error();
  header.signers = std::move(*signers);
  Signed out;
  out.index = policy::write_index(entries, header);
  auto signature = trust::sign_detached(out.index, *cert, **key);
  if (!signature) return signature.error();
  out.signature = std::move(*signature);
  std::vector<trust::Certificate> self;
  self.push_back(std::move(*cert));
  auto checked = trust::verify_detached(out.index, out.signature, self, now);
  if (!checked) {
    return trust::make_error(
        trust::Code::kBadInput,
        signing.cert_file + ": endpoints would refuse this signature: " + checked.error().message);
  }
  out.terms = {*header.serial, *header.expires, trust::to_hex(trust::sha256_of(out.index)),
               checked->sha256, checked->subject};
  return out;
}

}  // namespace

trust::Result<PublishedIndex> write_policy_index(const std::string& dir,
                                                 const std::vector<policy::IndexEntry>& entries,
                                                 const std::optional<IndexSigning>& signing,
                                                 int64_t now) {
  PublishedIndex out;
  out.index_path = dir + "/index.xml";
  std::string sig_path = out.index_path + ".sig";
  if (!signing) {
    if (std::filesystem::exists(sig_path)) {
      if (auto gone = trust::remove_file_durably(sig_path); !gone) return gone.error();
      out.stale_signature_removed = true;
    }
    if (auto w = trust::write_file_atomic(out.index_path, policy::write_index(entries)); !w) {
      return w.error();
    }
    return out;
  }
  auto made = sign_index(out.index_path, entries, *signing, now);
  if (!made) return made.error();
  if (auto w = trust::write_file_atomic(sig_path, made->signature); !w) return w.error();
  if (auto w = trust::write_file_atomic(out.index_path, made->index); !w) return w.error();
  out.signature_path = sig_path;
  out.signed_terms = made->terms;
  auto parsed = policy::parse_index(made->index, out.index_path);
  out.next_signers = parsed ? parsed->header.signers.size() : 0;
  return out;
}

}  // namespace agent
