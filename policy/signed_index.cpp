#include "policy/signed_index.h"

#include "trust/cms_signature.h"
#include "trust/fingerprint.h"
#include "trust/time_format.h"

namespace policy {
namespace {

trust::Error refused(const std::string& source, const std::string& why) {
  return trust::make_error(trust::Code::kRefused, source + ": " + why);
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
  if (last && *h.serial == last->serial && out.accepted.sha256 != last->sha256) {
    return refused(source, "serial " + std::to_string(*h.serial) +
                               " was already accepted for a different index");
  }
  return out;
}

}  // namespace policy
