// The signed policy index: what an endpoint with policy signers accepts, and why it refuses the
// rest. The index (policy/index.h) is signed as a whole by a detached CMS signature
// (index.xml.sig, trust/cms_signature.h); the policies it lists are then accepted by their
// SHA-256 alone, so whoever carries the bytes (the central server, a mirror, a CDN, a server
// whose certificate the endpoint does not trust yet) can neither change nor invent anything.
//
// An index is accepted only when all of these hold:
//  - the signature is good and made by one of the configured signers, valid at `now`;
//  - it has a serial and an expiry; the expiry is after `now` (a frozen or stalled publisher
//    cannot keep an endpoint on old policies for ever);
//  - its serial is not below the last accepted one (no replay of an older index), and equals it
//    only for the very same bytes.
// A <Signer> that could never sign (expired, or a keyUsage without digitalSignature) refuses the
// index: rotating to it would end every later index for the endpoint.
// Every refusal leaves the policies in force as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/index.h"
#include "trust/certificate.h"
#include "trust/result.h"

namespace policy {

// The last index an endpoint accepted: enough to refuse a replay and to warn before it expires.
struct AcceptedIndex {
  int64_t serial = 0;
  int64_t expires = 0;
  std::string sha256;  // of index.xml's bytes
  std::string signer_sha256, signer_subject;
};

struct SignedIndex {
  ParsedIndex index;
  AcceptedIndex accepted;
};

// The publisher's default: an index no endpoint accepts after a week without a new publish.
inline constexpr int64_t kDefaultIndexLifetimeSeconds = 7 * 86400;

// `signature` is nullopt when the server had none. Errors are kRefused (signature, serial,
// expiry) or kBadInput (the signed index itself is malformed), and name `source`.
trust::Result<SignedIndex> verify_signed_index(std::string_view xml,
                                               std::optional<std::string_view> signature,
                                               const std::vector<trust::Certificate>& signers,
                                               const std::optional<AcceptedIndex>& last,
                                               int64_t now, const std::string& source);

}  // namespace policy
