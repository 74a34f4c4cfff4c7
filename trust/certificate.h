// A certificate: its exact DER bytes plus the parsed OpenSSL object, and the metadata trustagent
// shows and caches. CertInfo is plain data so merge state can keep it without re-parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trust/ossl.h"
#include "trust/result.h"

namespace trust {

struct CertInfo {
  std::string sha256;  // of the DER, lowercase hex
  std::string sha1;
  std::string subject;  // RFC 2253 order, UTF-8, control characters escaped
  std::string issuer;
  std::string serial;  // hex, "-" prefix when negative
  int64_t not_before = 0;
  int64_t not_after = 0;
  bool self_signed = false;  // self-issued with matching key identifiers; signature not checked
  bool is_ca = false;        // basicConstraints CA:TRUE, or a v1 self-signed root
  std::string key_type;      // "RSA", "EC", "ED25519", or the algorithm OID when unknown
  int key_bits = 0;
  std::string signature_algorithm;
  unsigned long subject_hash = 0;  // OpenSSL's X509_NAME_hash_ex, as used by hashed CApath dirs
  std::string key_id;              // subjectKeyIdentifier, lowercase hex; "" when absent
  // The DNS and IP subjectAltNames ("DNS:name", "IP:address"), printable, sorted, each once: what
  // makes two certificates one server (trust/server_identity.h).
  std::vector<std::string> server_names;

  bool operator==(const CertInfo&) const = default;
};

class Certificate {
 public:
  // Fails unless `der` is exactly one DER certificate with no trailing bytes.
  static Result<Certificate> from_der(std::string der);

  std::string_view der() const { return der_; }
  std::string take_der() && { return std::move(der_); }
  X509* x509_ptr() const { return x509_.get(); }
  CertInfo info() const;

 private:
  Certificate(ossl::Ptr<X509> x509, std::string der)
      : x509_(std::move(x509)), der_(std::move(der)) {}

  ossl::Ptr<X509> x509_;
  std::string der_;
};

// Why a certificate that OpenSSL parses must still stay out of a store, or "" when none. GnuTLS
// (wget, git, many daemons) refuses a whole CA file when one certificate in it has signature
// algorithm fields that differ (RFC 5280, 4.1.1.2) or is a version 1 certificate with
// extensions, so one such certificate would cut off every GnuTLS client of the store.
std::string store_defect(const Certificate& cert);

// The keyIdentifier of a certificate's authorityKeyIdentifier, lowercase hex; "" when absent.
std::string authority_key_id(const X509& x);

// The DER encoding of a parsed certificate ("" if it cannot be encoded).
std::string der_of(X509& x);

// The names a host is matched against, as "DNS:name" or "IP:address" (in the certificate's order),
// then "CN=name".
std::vector<std::string> host_names(X509& x);

// The DNS and IP subjectAltNames alone, sorted and each once (CertInfo::server_names).
std::vector<std::string> server_names(X509& x);

// PEM text ("-----BEGIN CERTIFICATE-----", 64-column base64, LF endings) for DER bytes.
std::string to_pem(std::string_view der);

}  // namespace trust
