// Test certificates made at test time with the OpenSSL API, valid relative to now so they never
// rot: RSA or EC keys, CA and leaf, self-signed or issued, expired or not yet valid.
#pragma once

#include <string>
#include <vector>

#include "trust/ossl.h"

namespace testing_support {

enum class KeyKind { kEc256, kRsa2048, kRsa1024, kRsa4096, kEc224, kEd25519 };

struct Issued {
  trust::ossl::Ptr<X509> cert;
  trust::ossl::Ptr<EVP_PKEY> key;
  std::string pem() const;
  std::string der() const;
  std::string key_pem() const;  // PKCS#8 "PRIVATE KEY"
  std::string key_der() const;
  std::string sha256() const;    // lowercase hex of the DER
  std::string spki_pin() const;  // "sha256//BASE64" of the public key, as curl --pinnedpubkey
};

struct CertSpec {
  std::string common_name = "test";
  bool is_ca = false;
  long not_before_days = -1;  // relative to now
  long not_after_days = 365;
  KeyKind key = KeyKind::kEc256;
  std::vector<std::string> dns_names = {};
  std::vector<std::string> ip_addresses = {};
  std::string digest = "sha256";        // signature hash: sha256, sha384, sha1
  std::string key_usage = "";           // "" = by is_ca; "none" = no extension; else OpenSSL syntax
  std::string extended_key_usage = "";  // "" = no extension, e.g. "serverAuth,clientAuth"
  bool basic_constraints = true;        // false: no basicConstraints extension at all
  // Hostile names, as a crafted certificate carries them: subject attributes (short name, bytes)
  // added as UTF8String without length limits after CN (so printed first in RFC 2253 order), and
  // dNSName SANs of arbitrary bytes.
  std::vector<std::pair<std::string, std::string>> raw_subject = {};
  std::vector<std::string> raw_dns_names = {};
  bool key_identifiers = true;  // false: neither subjectKeyIdentifier nor authorityKeyIdentifier
  std::string subject_key_id = "";       // hex ("01:02..."): this SKID instead of the key's hash
  const EVP_PKEY* shared_key = nullptr;  // certify this key instead of generating one (fast)
  int path_length = -1;                  // CA only: pathLenConstraint, -1 for none
  std::string name_constraints = "";     // e.g. "permitted;DNS:.example.com"
};

// Self-signed when issuer is null.
Issued make_cert(const CertSpec& spec, const Issued* issuer = nullptr);

// A self-signed Ed25519 CA whose PEM body has no '+' (which RFC 2253 would escape): the hidden
// root a hostile certificate smuggles inside its subject in the injection tests.
Issued make_plus_free_root(const std::string& common_name);

// The PEM body (base64, no line breaks) of a certificate.
std::string base64_body(const Issued& cert);

// A PKCS#7 bundle of the certificates, PEM ("-----BEGIN PKCS7-----") or DER.
std::string make_pkcs7(const std::vector<const Issued*>& certs, bool pem);

// A PKCS#12 container (DER) of the leaf, its key and the chain, protected by `password`.
std::string make_pkcs12(const Issued& leaf, const std::vector<const Issued*>& chain,
                        const std::string& password);

// A CRL issued by `issuer`, PEM.
std::string make_crl_pem(const Issued& issuer);

}  // namespace testing_support
