#include "trust/fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "trust/ossl.h"

namespace trust {
namespace {

// The one-shot SHA256() looks its algorithm up by name, under a lock, on every call; a merge
// hashes every certificate of every source, so each digest is fetched once and kept.
const EVP_MD* sha256_md() {
  static const ossl::Ptr<EVP_MD> md(EVP_MD_fetch(nullptr, "SHA2-256", nullptr));
  return md.get();
}

const EVP_MD* sha1_md() {
  static const ossl::Ptr<EVP_MD> md(EVP_MD_fetch(nullptr, "SHA1", nullptr));
  return md.get();
}

template <size_t N>
std::array<unsigned char, N> digest(const EVP_MD* md, std::string_view bytes) {
  std::array<unsigned char, N> out{};
  unsigned int length = 0;
  // Failure means OpenSSL has no default provider: a broken installation, not bad input, and
  // no fingerprint computed after it could be believed.
  if (md == nullptr ||
      EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, md, nullptr) != 1 ||
      length != N) {
    std::fprintf(stderr, "trustagent: fatal: OpenSSL cannot compute a %zu-byte digest\n", N);
    std::abort();
  }
  return out;
}

}  // namespace

Sha256 sha256_of(std::string_view bytes) { return digest<32>(sha256_md(), bytes); }

Sha1 sha1_of(std::string_view bytes) { return digest<20>(sha1_md(), bytes); }

std::string to_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::optional<Sha256> sha256_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Sha256 out;
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool strip_prefix(std::string& s, std::string_view prefix) {
  if (s.rfind(prefix, 0) != 0) return false;
  s.erase(0, prefix.size());
  return true;
}

}  // namespace

Result<Fingerprint> parse_fingerprint(std::string_view text) {
  std::string s = lower(text);
  s.erase(0, s.find_first_not_of(" \t"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);

  enum class Claimed { kNone, kSha256, kSha1 } claimed = Claimed::kNone;
  // "SHA256 Fingerprint=…" is what `openssl x509 -fingerprint` prints.
  if (strip_prefix(s, "sha256 fingerprint=") || strip_prefix(s, "sha256:") ||
      strip_prefix(s, "sha-256:") || strip_prefix(s, "sha256=")) {
    claimed = Claimed::kSha256;
  } else if (strip_prefix(s, "sha1 fingerprint=") || strip_prefix(s, "sha1:") ||
             strip_prefix(s, "sha-1:") || strip_prefix(s, "sha1=")) {
    claimed = Claimed::kSha1;
  }

  std::string hex;
  for (char c : s) {
    if (c == ':' || c == ' ' || c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return make_error(Code::kBadInput, "'" + std::string(text) +
                                             "' is not a fingerprint: unexpected character '" +
                                             std::string(1, c) + "'");
    }
    hex += c;
  }

  Fingerprint fp;
  if (hex.size() == 64 && claimed != Claimed::kSha1) {
    fp.algorithm = Fingerprint::Algorithm::kSha256;
  } else if (hex.size() == 40 && claimed != Claimed::kSha256) {
    fp.algorithm = Fingerprint::Algorithm::kSha1;
  } else {
    return make_error(Code::kBadInput, "'" + std::string(text) +
                                           "' is not a fingerprint: expected 64 (SHA-256) or " +
                                           "40 (SHA-1) hex digits, got " +
                                           std::to_string(hex.size()));
  }
  fp.hex = std::move(hex);
  return fp;
}

}  // namespace trust
