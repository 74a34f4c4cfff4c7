#include "agent/index_publisher.h"

#include <algorithm>
#include <filesystem>

#include "agent/certificate_file.h"
#include "trust/atomic_file.h"
#include "trust/certificate.h"
#include "trust/cms_signature.h"
#include "trust/file_lock.h"
#include "trust/fingerprint.h"
#include "trust/source_reader.h"
#include "trust/time_format.h"

namespace agent {
namespace {

// The serial of the index already in DIR (0 for none, or an unsigned one). An index that is there
// but cannot be read is an error: guessing would let the serial go backwards.
trust::Result<int64_t> previous_serial(const std::string& index_path) {
  std::error_code ec;
  if (!std::filesystem::exists(index_path, ec)) return int64_t{0};
  auto old = trust::read_source_file(index_path, policy::kMaxIndexBytes);
  if (!old) return old.error();
  auto parsed = policy::parse_index(*old, index_path);
  if (!parsed) {
    return trust::make_error(trust::Code::kBadInput,
                             parsed.error().message +
                                 " (its serial is needed for the next one; remove it to start "
                                 "from the current time)");
  }
  return parsed->header.serial.value_or(0);
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

// The next signers, each one endpoints could use: a signer they cannot use would end every
// later publish for them.
trust::Result<std::vector<std::string>> next_signers(const std::string& path, int64_t now) {
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
  for (auto& c : read.certs) {
    auto cert = trust::Certificate::from_der(c.der);
    if (!cert) return trust::make_error(trust::Code::kBadInput, path + ": " + cert.error().message);
    trust::CertInfo info = cert->info();
    std::string why = trust::signing_refusal(*cert);
    if (why.empty() && (info.not_after <= now || info.not_before > now)) {
      why = "not valid now (" + trust::to_iso8601(info.not_before) + " to " +
            trust::to_iso8601(info.not_after) + ")";
    }
    if (!why.empty()) {
      return trust::make_error(trust::Code::kBadInput,
                               path + ": " + info.subject + " cannot be a policy signer: " + why);
    }
    if (std::find(out.begin(), out.end(), c.der) == out.end()) out.push_back(std::move(c.der));
  }
  return out;
}

struct Keys {
  std::vector<trust::Certificate> certs;
  std::vector<trust::ossl::Ptr<EVP_PKEY>> keys;
};

trust::Result<Keys> load_keys(const IndexSigning& signing) {
  if (signing.key_files.size() != signing.cert_files.size() || signing.key_files.empty()) {
    return trust::make_error(trust::Code::kBadInput,
                             "give one --sign-cert for each --sign-key, in the same order");
  }
  auto pass = password_from("", signing.pass_file, false);
  if (!pass) return pass.error();
  Keys out;
  for (size_t i = 0; i < signing.key_files.size(); ++i) {
    auto cert = one_certificate(signing.cert_files[i]);
    if (!cert) return cert.error();
    auto key = trust::load_private_key(signing.key_files[i], *pass);
    if (!key) return key.error();
    out.certs.push_back(std::move(*cert));
    out.keys.push_back(std::move(*key));
  }
  return out;
}

struct Signed {
  std::string index, signature;
  policy::AcceptedIndex terms;
  size_t next_signers = 0;
};

// Every signing certificate must be one endpoints accept at `now`.
trust::Result<trust::CertInfo> check_each_signer(const Signed& s, const Keys& keys,
                                                 const IndexSigning& signing, int64_t now) {
  trust::CertInfo first;
  for (size_t i = 0; i < keys.certs.size(); ++i) {
    std::vector<trust::Certificate> one;
    auto again = trust::Certificate::from_der(std::string(keys.certs[i].der()));
    if (!again) return again.error();
    one.push_back(std::move(*again));
    auto checked = trust::verify_detached(s.index, s.signature, one, now);
    if (!checked) {
      return trust::make_error(trust::Code::kBadInput,
                               signing.cert_files[i] + ": endpoints would refuse this signature: " +
                                   checked.error().message);
    }
    if (i == 0) first = *checked;
  }
  return first;
}

trust::Result<Signed> sign_index(const std::vector<policy::IndexEntry>& entries,
                                 const IndexSigning& signing, int64_t previous, int64_t now) {
  if (!(signing.lifetime_seconds >= kMinIndexLifetimeSeconds &&
        signing.lifetime_seconds <= kMaxIndexLifetimeSeconds)) {
    return trust::make_error(trust::Code::kBadInput,
                             "an index must be valid for 1 hour to 366 days (--valid-days)");
  }
  auto keys = load_keys(signing);
  if (!keys) return keys.error();
  policy::IndexHeader header;
  header.serial = std::max(previous + 1, now);
  header.expires = now + signing.lifetime_seconds;
  auto signers = next_signers(signing.next_signers_file, now);
  if (!signers) return signers.error();
  header.signers = std::move(*signers);
  Signed out;
  out.next_signers = header.signers.size();
  out.index = policy::write_index(entries, header);
  std::vector<trust::SigningKey> pairs;
  for (size_t i = 0; i < keys->certs.size(); ++i) pairs.push_back({keys->certs[i], *keys->keys[i]});
  auto signature = trust::sign_detached(out.index, pairs);
  if (!signature) return signature.error();
  out.signature = std::move(*signature);
  auto signer = check_each_signer(out, *keys, signing, now);
  if (!signer) return signer.error();
  out.terms = {*header.serial, *header.expires, trust::to_hex(trust::sha256_of(out.index)),
               signer->sha256, signer->subject};
  return out;
}

trust::Result<PublishedIndex> write_unsigned(const std::string& dir,
                                             const std::vector<policy::IndexEntry>& entries,
                                             bool force_unsigned) {
  PublishedIndex out;
  out.index_path = dir + "/index.xml";
  std::string sig_path = out.index_path + ".sig";
  std::error_code ec;
  if (std::filesystem::exists(sig_path, ec)) {
    if (!force_unsigned) {
      return trust::make_error(trust::Code::kRefused,
                               dir +
                                   " is signed (index.xml.sig): endpoints with policy signers "
                                   "would refuse an unsigned index; sign it (--sign-key), or "
                                   "--force to publish it unsigned");
    }
    if (auto gone = trust::remove_file_durably(sig_path); !gone) return gone.error();
    out.stale_signature_removed = true;
  }
  if (auto w = trust::write_file_atomic(out.index_path, policy::write_index(entries)); !w) {
    return w.error();
  }
  return out;
}

}  // namespace

// The pair a killed publish left whole beside the live one is put in place; the leftovers of one
// killed before its pair was whole are removed. True when a pair was completed.
trust::Result<bool> complete_interrupted_publish(const std::string& dir) {
  std::string next_index = dir + "/.index.xml.next", next_sig = dir + "/.index.xml.sig.next";
  auto sig = trust::read_source_file(next_sig, trust::kMaxSignatureBytes);
  auto index = trust::read_source_file(next_index, policy::kMaxIndexBytes);
  bool complete = sig && index;
  if (complete) {
    if (auto w = trust::write_file_atomic(dir + "/index.xml.sig", *sig); !w) return w.error();
    if (auto w = trust::write_file_atomic(dir + "/index.xml", *index); !w) return w.error();
  }
  for (const auto& f : {next_sig, next_index}) {
    std::error_code ec;
    if (!std::filesystem::exists(f, ec)) continue;
    if (auto gone = trust::remove_file_durably(f); !gone) return gone.error();
  }
  return complete;
}

trust::Result<PublishedIndex> write_policy_index(const std::string& dir,
                                                 const std::vector<policy::IndexEntry>& entries,
                                                 const std::optional<IndexSigning>& signing,
                                                 int64_t now, bool force_unsigned) {
  auto lock = trust::FileLock::acquire(dir + "/.publish.lock", 30);
  if (!lock) return lock.error();
  trust::sweep_stale_temporaries(dir);  // what killed publishes left, under the same lock
  auto completed = complete_interrupted_publish(dir);
  if (!completed) return completed.error();
  if (!signing) {
    auto written = write_unsigned(dir, entries, force_unsigned);
    if (written) written->completed_interrupted = *completed;
    return written;
  }
  PublishedIndex out;
  out.completed_interrupted = *completed;
  out.index_path = dir + "/index.xml";
  out.signature_path = out.index_path + ".sig";
  auto previous = previous_serial(out.index_path);
  if (!previous) return previous.error();
  auto made = sign_index(entries, *signing, *previous, now);
  if (!made) return made.error();
  auto old_signature = trust::read_source_file(out.signature_path, trust::kMaxSignatureBytes);
  // The whole pair first, the signature last: what a kill leaves is completed next time.
  if (auto w = trust::write_file_atomic(dir + "/.index.xml.next", made->index); !w) {
    return w.error();
  }
  if (auto w = trust::write_file_atomic(dir + "/.index.xml.sig.next", made->signature); !w) {
    return w.error();
  }
  if (auto w = trust::write_file_atomic(out.signature_path, made->signature); !w) return w.error();
  if (auto w = trust::write_file_atomic(out.index_path, made->index); !w) {
    // The old index is still there: give it its own signature back.
    if (old_signature) (void)trust::write_file_atomic(out.signature_path, *old_signature);
    return w.error();
  }
  (void)complete_interrupted_publish(dir);  // only removes the pair now in place
  out.signed_terms = made->terms;
  out.next_signers = made->next_signers;
  return out;
}

}  // namespace agent
