#include "policy/signed_index.h"

#include "trust/cms_signature.h"
#include "trust/fingerprint.h"
#include "trust/time_format.h"

namespace policy {
namespace {

trust::Error refused(const std::string& source, const std::string& why) {
  return trust::make_error(trust::Code::kRefused, source + ": " + why);
}

// Why a certificate an index introduces as a signer could never sign, or "".
std::string unusable_signer(const std::string& der, int64_t now) {
  auto cert = trust::Certificate::from_der(der);
  if (!cert) return cert.error().message;
  trust::CertInfo info = cert->info();
  if (std::string why = trust::signing_refusal(*cert); !why.empty())
    return info.subject + ": " + why;
  if (info.not_after <= now)
    return info.subject + ": expired on " + trust::to_iso8601(info.not_after);
  return "";
}

}  // namespace

trust::Result<SignedIndex> verify_signed_index(std::string_view xml,
                                               std::optional<std::string_view> signature,
                                               const std::vector<trust::Certificate>& signers,
                                               const std::optional<AcceptedIndex>& last,
                                               int64_t now, const std::string& source) {
  if (!signature) {
    return refused(source, "no signature (index.xml.sig), and this endpoint has policy signers");
  }
  auto signer = trust::verify_detached(xml, *signature, signers, now);
  if (!signer) return refused(source, signer.error().message);
  auto parsed = parse_index(xml, source);
  if (!parsed) return parsed.error();
  const IndexHeader& h = parsed->header;
  if (!h.serial || !h.expires) {
    return refused(source, "a signed index must have serial= and expires=");
  }
  SignedIndex out{std::move(*parsed), {}};
  out.accepted = {*h.serial, *h.expires, trust::to_hex(trust::sha256_of(xml)), signer->sha256,
                  signer->subject};
  if (*h.expires <= now) {
    return refused(source, "expired at " + trust::to_iso8601(*h.expires) + " (signed by " +
                               signer->subject + "): the publisher has not renewed it");
  }
  if (last && *h.serial < last->serial) {
    return refused(source, "serial " + std::to_string(*h.serial) + " is older than the accepted " +
                               std::to_string(last->serial) +
                               " (a replay from a stale mirror or cache?)");
  }
  for (const auto& der : h.signers) {
    if (std::string why = unusable_signer(der, now); !why.empty()) {
      return refused(source, "it introduces a policy signer that could sign nothing (" + why +
                                 "); the signers stay as they are");
    }
  }
  if (last && *h.serial == last->serial && out.accepted.sha256 != last->sha256) {
    return refused(source, "serial " + std::to_string(*h.serial) +
                               " was already accepted for a different index");
  }
  return out;
}

}  // namespace policy
