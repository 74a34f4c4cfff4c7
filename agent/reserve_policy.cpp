#include "agent/reserve_policy.h"
#include "agent/reserve_review.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "policy/index.h"
#include "policy/policy.h"
#include "policy/policy_writer.h"
#include "trust/atomic_file.h"
#include "trust/source_reader.h"

namespace agent {
namespace {

trust::Result<trust::Certificate> the_one_certificate(const std::string& path) {
  auto content = trust::read_source_file(path, 1 << 20);
  if (!content) return content.error();
  trust::ReadResult read = trust::read_certificates(*content);
  for (const auto& w : read.warnings) {
    if (w.reason.find("private key") != std::string::npos) {
      return trust::make_error(trust::Code::kBadInput,
                               path + ": holds a private key: give the certificate alone");
    }
  }
  if (read.certs.size() != 1) {
    return trust::make_error(trust::Code::kBadInput,
                             path + ": a reserve is one certificate; this file holds " +
                                 std::to_string(read.certs.size()));
  }
  auto cert = trust::Certificate::from_der(read.certs.front().der);
  if (!cert) return trust::make_error(trust::Code::kBadInput, path + ": " + cert.error().message);
  return cert;
}

// The policy as it is in DIR, or a new one.
trust::Result<policy::Policy> policy_to_update(const std::string& path, const std::string& guid,
                                               const trust::CertInfo& cert) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    policy::Policy p;
    p.guid = guid;
    p.name = "Reserve certificate for " + cert.subject;
    p.priority = 50;
    return p;
  }
  auto content = trust::read_source_file(path, policy::kMaxPolicyBytes);
  if (!content) return content.error();
  auto parsed = policy::parse_policy(*content, path);
  if (!parsed) return parsed.error();
  if (parsed->guid != guid) {
    return trust::make_error(trust::Code::kBadInput, path + ": its guid is " + parsed->guid);
  }
  return parsed;
}

}  // namespace

trust::Result<ReservePolicyReport> publish_reserve_policy(const ReservePolicyRequest& r) {
  auto cert = the_one_certificate(r.cert_file);
  if (!cert) return cert.error();
  ReservePolicyReport report;
  report.cert = cert->info();
  // What endpoints would install must meet what `reserve add` asks of a person's reserve.
  auto review = review_reserve(r.review_layout, {std::string(cert->der())}, r.now);
  if (!review) return review.error();
  report.notes = review->notes;
  if (!review->findings.empty()) {
    if (!r.force) {
      std::string all;
      for (const auto& f : review->findings)
        all += (all.empty() ? "" : "; ") + f.code + ": " + f.message;
      return trust::make_error(trust::Code::kBadInput,
                               r.cert_file +
                                   ": does not meet the common certificate requirements (" + all +
                                   "); fix it, or --force; nothing was written");
    }
    report.forced = review->findings;
  }
  report.guid = r.guid.empty() ? "reserve-" + report.cert.sha256.substr(0, 16) : r.guid;
  // The guid is the file name: plain letters, digits, '-' and '_', and never the index's own.
  bool plain = !report.guid.empty() && report.guid.size() <= 64 &&
               std::all_of(report.guid.begin(), report.guid.end(),
                           [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
  std::string lower = report.guid;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!plain || lower == "index") {
    return trust::make_error(
        trust::Code::kBadInput,
        "--guid '" + report.guid + "': a guid of letters, digits, '-' and '_', other than 'index'");
  }
  std::error_code ec;
  if (!r.signing && !r.force_unsigned && std::filesystem::exists(r.dir + "/index.xml.sig", ec)) {
    return trust::make_error(trust::Code::kRefused,
                             r.dir +
                                 " is signed (index.xml.sig): give --sign-key and --sign-cert "
                                 "(or --force to publish it unsigned); nothing was written");
  }
  report.policy_path = r.dir + "/" + report.guid + ".xml";
  auto p = policy_to_update(report.policy_path, report.guid, report.cert);
  if (!p) return p.error();
  std::string der(cert->der());
  std::erase_if(p->reserves, [&](const policy::ReserveCertificate& c) { return c.der == der; });
  p->reserves.push_back({der, r.activate_at, r.replaces});
  report.revision = ++p->revision;
  std::string xml = policy::write_policy(*p);
  if (auto again = policy::parse_policy(xml, report.policy_path); !again) return again.error();

  auto before = trust::read_source_file(report.policy_path, policy::kMaxPolicyBytes);
  if (auto w = trust::write_file_atomic(report.policy_path, xml); !w) return w.error();
  auto put_back = [&] {
    if (before) {
      (void)trust::write_file_atomic(report.policy_path, *before);
    } else {
      (void)trust::remove_file_durably(report.policy_path);
    }
  };
  auto entries = policy::index_for_directory(r.dir);
  if (!entries) {
    put_back();
    return entries.error();
  }
  auto index = write_policy_index(r.dir, *entries, r.signing, r.now, r.force_unsigned);
  if (!index) {
    put_back();
    return index.error();
  }
  report.index = std::move(*index);
  return report;
}

}  // namespace agent
