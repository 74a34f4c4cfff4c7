#include "agent/policy_signers.h"

#include <algorithm>
#include <filesystem>

#include "trust/atomic_file.h"
#include "trust/cms_signature.h"
#include "trust/fingerprint.h"
#include "trust/safe_text.h"
#include "trust/source_check.h"
#include "trust/source_reader.h"
#include "trust/text.h"
#include "trust/time_format.h"

namespace agent {
namespace {

inline constexpr size_t kMaxSignersBytes = 1 << 20;
inline constexpr size_t kMaxRecordBytes = 64 << 10;
inline constexpr size_t kMaxRecordText = 512;

std::string pem_of(const std::vector<trust::Certificate>& certs) {
  std::string out;
  for (const auto& c : certs) {
    out += "# " + trust::pem_comment_text(c.info().subject) + "\n# sha256 " + c.info().sha256 +
           "\n" + trust::to_pem(c.der());
  }
  return out;
}

trust::Result<void> write_signers(const trust::Layout& layout,
                                  const std::vector<trust::Certificate>& certs) {
  if (auto made = trust::make_directories(layout.etc_dir); !made) return made;
  return trust::write_file_atomic(layout.policy_signers, pem_of(certs));
}

trust::Result<std::vector<trust::Certificate>> parse_all(const std::vector<std::string>& ders,
                                                         const std::string& source) {
  std::vector<trust::Certificate> out;
  for (const auto& der : ders) {
    auto cert = trust::Certificate::from_der(der);
    if (!cert)
      return trust::make_error(trust::Code::kBadInput, source + ": " + cert.error().message);
    out.push_back(std::move(*cert));
  }
  return out;
}

trust::Result<std::string> sha256_fingerprint(const std::string& text) {
  auto fp = trust::parse_fingerprint(text);
  if (!fp) return fp.error();
  if (fp->algorithm != trust::Fingerprint::Algorithm::kSha256) {
    return trust::make_error(trust::Code::kBadInput,
                             "a policy signer is named by its SHA-256 fingerprint, not SHA-1");
  }
  return fp->hex;
}

}  // namespace

trust::Result<std::optional<std::vector<trust::Certificate>>> load_policy_signers(
    const trust::Layout& layout) {
  const std::string& path = layout.policy_signers;
  trust::SourceProbe probe = trust::probe_source(path);
  if (probe.presence == trust::SourceProbe::Presence::kMissing) {
    return std::optional<std::vector<trust::Certificate>>();
  }
  if (probe.presence == trust::SourceProbe::Presence::kRefused) {
    return trust::make_error(trust::Code::kBadInput, path + ": refused: " + probe.reason);
  }
  auto content = trust::read_source_file(path, kMaxSignersBytes, &probe.stamp);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  std::vector<std::string> ders;
  for (auto& c : read.certs) ders.push_back(std::move(c.der));
  if (ders.empty() || !read.warnings.empty()) {
    return trust::make_error(
        trust::Code::kBadInput,
        path + ": damaged (" +
            (read.warnings.empty() ? "no certificate" : trust::describe(path, read.warnings[0])) +
            "); refusing every policy index until it is repaired");
  }
  auto certs = parse_all(ders, path);
  if (!certs) return certs.error();
  return std::optional(std::move(*certs));
}

trust::Result<trust::CertInfo> trust_policy_signer(const trust::Layout& layout, int64_t now,
                                                   const std::string& file,
                                                   const std::string& fingerprint) {
  auto wanted = sha256_fingerprint(fingerprint);
  if (!wanted) return wanted.error();
  auto content = trust::read_source_file(file, kMaxSignersBytes);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  for (const auto& w : read.warnings) {
    if (w.reason.find("private key") != std::string::npos) {
      return trust::make_error(trust::Code::kBadInput,
                               file +
                                   ": holds a private key: give the signer's certificate alone "
                                   "(the signing key stays with the publisher)");
    }
  }
  auto match = std::find_if(read.certs.begin(), read.certs.end(), [&](const trust::RawCert& c) {
    return trust::to_hex(c.sha256) == *wanted;
  });
  if (match == read.certs.end()) {
    std::string found;
    for (const auto& c : read.certs) found += " " + trust::to_hex(c.sha256);
    return trust::make_error(
        trust::Code::kRefused,
        file + ": no certificate with sha256 " + *wanted +
            (found.empty() ? " (no certificate at all)" : "; it holds" + found));
  }
  auto cert = trust::Certificate::from_der(match->der);
  if (!cert) return trust::make_error(trust::Code::kBadInput, file + ": " + cert.error().message);
  std::string why = trust::signing_refusal(*cert);
  trust::CertInfo valid = cert->info();
  if (why.empty() && valid.not_after <= now)
    why = "it expired on " + trust::to_iso8601(valid.not_after);
  if (!why.empty()) {
    return trust::make_error(trust::Code::kRefused, file + ": cannot be a policy signer: " + why);
  }
  auto current = load_policy_signers(layout);
  if (!current) return current.error();
  std::vector<trust::Certificate> certs;
  if (*current) certs = std::move(**current);
  trust::CertInfo info = cert->info();
  bool known = std::any_of(certs.begin(), certs.end(),
                           [&](const trust::Certificate& c) { return c.der() == cert->der(); });
  if (known) return info;
  certs.push_back(std::move(*cert));
  if (auto w = write_signers(layout, certs); !w) return w.error();
  return info;
}

trust::Result<trust::CertInfo> untrust_policy_signer(const trust::Layout& layout,
                                                     const std::string& fingerprint) {
  auto wanted = sha256_fingerprint(fingerprint);
  if (!wanted) return wanted.error();
  auto current = load_policy_signers(layout);
  if (!current) return current.error();
  std::vector<trust::Certificate> certs;
  if (*current) certs = std::move(**current);
  auto gone = std::find_if(certs.begin(), certs.end(),
                           [&](const trust::Certificate& c) { return c.info().sha256 == *wanted; });
  if (gone == certs.end()) {
    return trust::make_error(trust::Code::kBadInput, "no policy signer has sha256 " + *wanted);
  }
  trust::CertInfo info = gone->info();
  certs.erase(gone);
  auto done = certs.empty() ? trust::remove_file_durably(layout.policy_signers)
                            : write_signers(layout, certs);
  if (!done) return done.error();
  return info;
}

trust::Result<void> replace_policy_signers(const trust::Layout& layout,
                                           const std::vector<std::string>& ders) {
  std::vector<std::string> unique;
  for (const auto& d : ders) {
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  }
  auto certs = parse_all(unique, "the signed index's <Signer>");
  if (!certs) return certs.error();
  if (certs->empty()) {
    return trust::make_error(trust::Code::kBadInput, "an empty signer set would end signing");
  }
  return write_signers(layout, *certs);
}

trust::Result<std::optional<IndexRecord>> load_index_record(const trust::Layout& layout) {
  const std::string& path = layout.policy_index_state;
  std::error_code ec;
  bool there = std::filesystem::exists(path, ec);
  // Unknown is not absent: taking it for "no index accepted yet" would accept an older one.
  if (ec) return trust::make_error(trust::Code::kBadInput, path + ": " + ec.message());
  if (!there) return std::optional<IndexRecord>();
  auto damaged = [&](const std::string& why) {
    return trust::make_error(trust::Code::kBadInput,
                             path + ": " + why +
                                 "; refusing every policy index until it is repaired (removing it "
                                 "accepts the next signed index whatever its serial)");
  };
  auto content = trust::read_source_file(path, kMaxRecordBytes);
  if (!content) return damaged(content.error().message);
  IndexRecord r;
  bool has_serial = false, has_sha = false;
  for (const auto& [key, value] : trust::tab_pairs(*content)) {
    if (key == "serial") has_serial = trust::parse_number(value, r.index.serial);
    if (key == "expires") (void)trust::parse_number(value, r.index.expires);
    if (key == "sha256") has_sha = trust::sha256_from_hex(value).has_value();
    if (key == "sha256") r.index.sha256 = value;
    if (key == "signer-sha256") r.index.signer_sha256 = value;
    if (key == "signer-subject") r.index.signer_subject = value;
    if (key == "from") r.from = value;
    if (key == "accepted-at") (void)trust::parse_number(value, r.accepted_at);
    if (key == "unverified-sha256") r.unverified_sha256 = value;
    if (key == "unverified-subject") r.unverified_subject = value;
  }
  if (!has_serial || !has_sha) return damaged("no serial or index hash in it");
  return std::optional(std::move(r));
}

trust::Result<void> save_index_record(const trust::Layout& layout, const IndexRecord& r) {
  // Subjects and URLs come from outside: one short line each, whatever they hold, so that no
  // server can make the record too large to read back.
  auto line = [](const char* key, const std::string& value) {
    return std::string(key) + "\t" + trust::pem_comment_text(value, kMaxRecordText) + "\n";
  };
  std::string text = "trustagent-policy-index 1\n" +
                     line("serial", std::to_string(r.index.serial)) +
                     line("expires", std::to_string(r.index.expires)) +
                     line("sha256", r.index.sha256) + line("signer-sha256", r.index.signer_sha256) +
                     line("signer-subject", r.index.signer_subject) + line("from", r.from) +
                     line("accepted-at", std::to_string(r.accepted_at));
  if (!r.unverified_sha256.empty()) {
    text += line("unverified-sha256", r.unverified_sha256) +
            line("unverified-subject", r.unverified_subject);
  }
  if (auto made = trust::make_directories(layout.state_dir); !made) return made;
  return trust::write_file_atomic(layout.policy_index_state, text);
}

std::vector<trust::AnchorWarning> signed_policy_warnings(const trust::Layout& layout, int64_t now) {
  std::vector<trust::AnchorWarning> out;
  auto signers = load_policy_signers(layout);
  if (!signers) {
    out.push_back({"policy_signers_refused", "", trust::printable_text(signers.error().message)});
    return out;
  }
  if (!*signers) return out;
  for (const auto& s : **signers) {
    trust::CertInfo i = s.info();
    if (i.not_after - now < kSignerExpiringSeconds) {
      out.push_back({"policy_signer_expiring", i.sha256,
                     "policy signer " + trust::printable_text(i.subject) +
                         (i.not_after <= now ? " expired on " : " expires on ") +
                         trust::to_iso8601(i.not_after) +
                         ": it can sign nothing after that; publish an index that introduces "
                         "its successor (policy publish --next-signers) before then"});
    }
  }
  auto loaded = load_index_record(layout);
  if (!loaded) {
    out.push_back(
        {"policy_index_state_damaged", "", trust::printable_text(loaded.error().message)});
    return out;
  }
  if (!*loaded) return out;
  const IndexRecord* record = &**loaded;
  const policy::AcceptedIndex& index = record->index;
  std::string which = "the signed policy index (serial " + std::to_string(index.serial) +
                      ", signer " + trust::printable_text(index.signer_subject) + ")";
  if (index.expires <= now) {
    out.push_back({"policy_index_expired", index.signer_sha256,
                   which + " expired on " + trust::to_iso8601(index.expires) +
                       ": the publisher has stopped renewing it, or a server is replaying an "
                       "old one; the policies in force stay, but nothing newer can arrive"});
  } else if (index.expires - now < kIndexExpiringSeconds) {
    out.push_back({"policy_index_expiring", index.signer_sha256,
                   which + " expires on " + trust::to_iso8601(index.expires) +
                       ": the publisher must publish again before then"});
  }
  if (!record->unverified_sha256.empty()) {
    out.push_back(
        {"central_server_unauthenticated", record->unverified_sha256,
         trust::printable_text(record->from) + " presents " +
             trust::printable_text(record->unverified_subject) + " sha256 " +
             record->unverified_sha256 +
             ", which the store does not authenticate: its policies were accepted by "
             "their signature alone; publish that certificate as a reserve after checking "
             "its fingerprint out of band"});
  }
  return out;
}

nlohmann::json signed_policy_json(const trust::Layout& layout) {
  nlohmann::json out = {
      {"mode", "legacy"}, {"signers", nlohmann::json::array()}, {"index", nullptr}};
  auto signers = load_policy_signers(layout);
  if (!signers) {
    out["mode"] = "refused";
    return out;
  }
  if (!*signers) return out;
  out["mode"] = "signed";
  for (const auto& s : **signers) {
    trust::CertInfo i = s.info();
    out["signers"].push_back({{"subject", i.subject},
                              {"sha256", i.sha256},
                              {"not_after", trust::to_iso8601(i.not_after)}});
  }
  auto loaded = load_index_record(layout);
  if (!loaded) out["mode"] = "refused";
  if (loaded && *loaded) {
    const IndexRecord* r = &**loaded;
    out["index"] = {
        {"serial", r->index.serial},
        {"expires", trust::to_iso8601(r->index.expires)},
        {"signer", {{"subject", r->index.signer_subject}, {"sha256", r->index.signer_sha256}}},
        {"from", r->from},
        {"accepted_at", trust::to_iso8601(r->accepted_at)},
        {"unauthenticated_server", nullptr}};
    if (!r->unverified_sha256.empty()) {
      out["index"]["unauthenticated_server"] = {{"subject", r->unverified_subject},
                                                {"sha256", r->unverified_sha256}};
    }
  }
  return out;
}

}  // namespace agent
