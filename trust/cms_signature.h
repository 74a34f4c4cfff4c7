// Detached CMS signatures (RFC 5652 SignedData, DER) over a document: how the central server's
// publisher signs the policy index and how an endpoint checks it, so that what the agent applies
// is authorised by a key, not by whichever TLS server it happened to arrive from.
//
// A signature may carry several signers (a signing key being rotated signs with the old and the
// new key for a while). It is good when at least one of its signers is one of `signers` itself (a
// certificate they issued is not enough, nor one the signature carries), valid at `now`, with a
// keyUsage, if any, that allows digitalSignature, and its signature covers exactly the document's
// bytes. For a signature with one signer that is what `openssl cms -verify -binary -nointern
// -certfile S -CAfile S -partial_chain -purpose any -content DOC` decides; openssl also requires
// every other signer to be known.
//
// Hostile signatures are bounded before OpenSSL works on them: at most kMaxSignatureBytes, at
// most kMaxSignatureSigners signers and as many digest algorithms (OpenSSL reads the document
// through one chained digest per algorithm listed, recursively, and that list is not signed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trust/certificate.h"
#include "trust/ossl.h"
#include "trust/result.h"

namespace trust {

inline constexpr size_t kMaxSignatureBytes = 256 << 10;
inline constexpr int kMaxSignatureSigners = 4;

// Why `signer` may not sign at all, or "": a keyUsage without digitalSignature.
std::string signing_refusal(const Certificate& signer);

// A PEM private key, encrypted or not; the passphrase is used only when the key is encrypted.
// The key stays in memory: nothing here writes it anywhere. Errors name the file (kBadInput).
Result<ossl::Ptr<EVP_PKEY>> load_private_key(const std::string& path,
                                             const std::optional<std::string>& passphrase);

struct SigningKey {
  const Certificate& cert;
  EVP_PKEY& key;
};

// The DER signature, one signer per key. Fails (kBadInput) when a key does not belong to its
// certificate.
Result<std::string> sign_detached(std::string_view content, const std::vector<SigningKey>& keys);

// The metadata of the first signer that is one of `signers` and whose signature is good;
// kRefused, with the reasons, otherwise.
Result<CertInfo> verify_detached(std::string_view content, std::string_view signature,
                                 const std::vector<Certificate>& signers, int64_t now);

}  // namespace trust
