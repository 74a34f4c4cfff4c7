// Detached CMS signatures (RFC 5652 SignedData, DER) over a document: how the central server's
// publisher signs the policy index and how an endpoint checks it, so that what the agent applies
// is authorised by a key, not by whichever TLS server it happened to arrive from.
//
// Verification is what `openssl cms -verify -binary -nointern -certfile S -CAfile S
// -partial_chain -purpose any -content DOC` decides, at the time given: the signer must be one of
// `signers` itself (a certificate they issued is not enough), valid at `now`, and the signature
// must cover exactly the document's bytes. On top of that, a signer whose keyUsage leaves out
// digitalSignature signs nothing.
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

inline constexpr size_t kMaxSignatureBytes = 1 << 20;

// Why `signer` may not sign at all, or "": a keyUsage without digitalSignature.
std::string signing_refusal(const Certificate& signer);

// A PEM private key, encrypted or not; the passphrase is used only when the key is encrypted.
// The key stays in memory: nothing here writes it anywhere. Errors name the file (kBadInput).
Result<ossl::Ptr<EVP_PKEY>> load_private_key(const std::string& path,
                                             const std::optional<std::string>& passphrase);

// The DER signature. Fails (kBadInput) when `key` does not belong to `signer`.
Result<std::string> sign_detached(std::string_view content, const Certificate& signer,
                                  EVP_PKEY& key);

// The signer's metadata when the signature is good; kRefused, with OpenSSL's reason, otherwise.
Result<CertInfo> verify_detached(std::string_view content, std::string_view signature,
                                 const std::vector<Certificate>& signers, int64_t now);

}  // namespace trust
