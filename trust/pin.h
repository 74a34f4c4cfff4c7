// A pin on the server's leaf certificate: its fingerprint (SHA-256 or SHA-1, any spelling) or, as
// curl's --pinnedpubkey takes it, "sha256//BASE64" of its public key (SPKI), which survives a
// re-issue with the same key. Several pins may be in force (current and next); one match is enough.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

#include "trust/fingerprint.h"
#include "trust/result.h"

namespace trust {

struct Pin {
  enum class Kind { kCertSha256, kCertSha1, kSpkiSha256 };
  Kind kind = Kind::kCertSha256;
  std::string value;  // lowercase hex for certificate pins, base64 for SPKI pins

  std::string text() const;  // as it would be typed back
  bool operator==(const Pin&) const = default;
};

Result<Pin> parse_pin(std::string_view text);

// "a;b;c" as policy writes several pins; empty entries are ignored.
Result<std::vector<Pin>> parse_pin_list(std::string_view text);

bool pin_matches(const Pin& pin, X509& leaf);

// The leaf's own pins, for messages: "sha256 <hex>, spki sha256//<base64>".
std::string leaf_pins(X509& leaf);

// Every pin that would match this certificate: SHA-256, SHA-1 and SPKI.
std::vector<Pin> pins_of(X509& cert);

}  // namespace trust
