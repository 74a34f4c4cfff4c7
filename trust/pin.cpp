#include "trust/pin.h"

#include <openssl/evp.h>

#include "trust/certificate.h"
#include "trust/ossl.h"

namespace trust {
namespace {

std::string spki_sha256_base64(X509& leaf) {
  unsigned char* buf = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(&leaf), &buf);
  if (len <= 0) return "";
  Sha256 digest =
      sha256_of(std::string_view(reinterpret_cast<char*>(buf), static_cast<size_t>(len)));
  OPENSSL_free(buf);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

}  // namespace

std::string Pin::text() const {
  switch (kind) {
    case Kind::kCertSha256:
      return "sha256:" + value;
    case Kind::kCertSha1:
      return "sha1:" + value;
    case Kind::kSpkiSha256:
      return "sha256//" + value;
  }
  return value;
}

Result<Pin> parse_pin(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  if (t.substr(0, 8) == "sha256//") {
    std::string b64(t.substr(8));
    unsigned char raw[64];
    int n = b64.size() == 44
                ? EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(b64.data()), 44)
                : -1;
    if (n != 33 || b64.back() != '=') {  // 32 bytes + one padding byte decoded as zero
      ossl::drain_errors();  // the message below says what was expected, which is all it knows
      return make_error(Code::kBadInput, "'" + std::string(text) +
                                             "' is not a public-key pin: expected sha256// and 44 "
                                             "characters of base64");
    }
    return Pin{Pin::Kind::kSpkiSha256, b64};
  }
  auto fp = parse_fingerprint(t);
  if (!fp) return fp.error();
  return Pin{fp->algorithm == Fingerprint::Algorithm::kSha256 ? Pin::Kind::kCertSha256
                                                              : Pin::Kind::kCertSha1,
             fp->hex};
}

Result<std::vector<Pin>> parse_pin_list(std::string_view text) {
  std::vector<Pin> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    std::string_view item =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (item.find_first_not_of(" \t") != std::string_view::npos) {
      auto pin = parse_pin(item);
      if (!pin) return pin.error();
      out.push_back(std::move(*pin));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool pin_matches(const Pin& pin, X509& leaf) {
  switch (pin.kind) {
    case Pin::Kind::kCertSha256:
      return to_hex(sha256_of(der_of(leaf))) == pin.value;
    case Pin::Kind::kCertSha1:
      return to_hex(sha1_of(der_of(leaf))) == pin.value;
    case Pin::Kind::kSpkiSha256:
      return spki_sha256_base64(leaf) == pin.value;
  }
  return false;
}

std::string leaf_pins(X509& leaf) {
  return "sha256:" + to_hex(sha256_of(der_of(leaf))) + ", sha256//" + spki_sha256_base64(leaf);
}

std::vector<Pin> pins_of(X509& cert) {
  std::string der = der_of(cert);
  return {{Pin::Kind::kCertSha256, to_hex(sha256_of(der))},
          {Pin::Kind::kCertSha1, to_hex(sha1_of(der))},
          {Pin::Kind::kSpkiSha256, spki_sha256_base64(cert)}};
}

}  // namespace trust
