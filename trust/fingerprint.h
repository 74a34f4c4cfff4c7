// Digests of certificate bytes and the many ways people spell a fingerprint.
#pragma once

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "trust/result.h"

namespace trust {

using Sha256 = std::array<unsigned char, 32>;
using Sha1 = std::array<unsigned char, 20>;

// For hash maps keyed by digest: the digest's own first bytes are already uniformly spread.
struct DigestHash {
  template <size_t N>
  size_t operator()(const std::array<unsigned char, N>& d) const {
    size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

Sha256 sha256_of(std::string_view bytes);
Sha1 sha1_of(std::string_view bytes);

// Lowercase hex, no separators: the one spelling trustagent prints and stores.
std::string to_hex(const unsigned char* data, size_t size);
template <size_t N>
std::string to_hex(const std::array<unsigned char, N>& digest) {
  return to_hex(digest.data(), N);
}

// Inverse of to_hex for a SHA-256; nullopt unless exactly 64 hex digits.
std::optional<Sha256> sha256_from_hex(std::string_view hex);

// A fingerprint as a user typed it: "AB:CD:…", "abcd…", "sha256:…", "SHA1 Fingerprint=…".
// The algorithm follows from the length (64 hex digits SHA-256, 40 SHA-1) and must agree with
// any prefix given.
struct Fingerprint {
  enum class Algorithm { kSha256, kSha1 };
  Algorithm algorithm = Algorithm::kSha256;
  std::string hex;  // lowercase, no separators
  bool operator==(const Fingerprint&) const = default;
};

Result<Fingerprint> parse_fingerprint(std::string_view text);

}  // namespace trust
