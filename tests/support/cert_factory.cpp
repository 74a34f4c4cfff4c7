#include "tests/support/cert_factory.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

#include "trust/fingerprint.h"

namespace testing_support {
namespace {

using trust::ossl::Ptr;

void check(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string("cert_factory: ") + what + ": " +
                             trust::ossl::drain_errors());
}

Ptr<EVP_PKEY> make_key(KeyKind kind) {
  EVP_PKEY* raw = nullptr;
  switch (kind) {
    case KeyKind::kEc256:
      raw = EVP_EC_gen("P-256");
      break;
    case KeyKind::kEc224:
      raw = EVP_EC_gen("P-224");
      break;
    case KeyKind::kRsa1024:
      raw = EVP_RSA_gen(1024);
      break;
    case KeyKind::kRsa2048:
      raw = EVP_RSA_gen(2048);
      break;
    case KeyKind::kRsa4096:
      raw = EVP_RSA_gen(4096);
      break;
    case KeyKind::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  check(raw != nullptr, "key generation");
  return Ptr<EVP_PKEY>(raw);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext != nullptr, "extension");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "add extension");
}

}  // namespace

std::string Issued::pem() const {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert.get());
  return bio_text(bio.get());
}

std::string Issued::der() const {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert.get(), &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string Issued::key_pem() const {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

std::string Issued::key_der() const {
  unsigned char* buf = nullptr;
  int len = i2d_PrivateKey(key.get(), &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string Issued::sha256() const { return trust::to_hex(trust::sha256_of(der())); }

std::string Issued::spki_pin() const {
  unsigned char* spki = nullptr;
  int length = i2d_PUBKEY(key.get(), &spki);
  check(length > 0, "i2d_PUBKEY");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  bool hashed = EVP_Digest(spki, static_cast<size_t>(length), digest, &digest_length, EVP_sha256(),
                           nullptr) == 1;
  OPENSSL_free(spki);
  check(hashed, "EVP_Digest");
  std::string base64(4 * ((digest_length + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()), digest,
                                static_cast<int>(digest_length));
  base64.resize(static_cast<size_t>(written));
  return "sha256//" + base64;
}

Issued make_cert(const CertSpec& spec, const Issued* issuer) {
  static std::atomic<long> serial{1000};
  Issued out;
  if (spec.shared_key != nullptr) {
    EVP_PKEY* key = const_cast<EVP_PKEY*>(spec.shared_key);
    check(EVP_PKEY_up_ref(key) == 1, "key reference");
    out.key.reset(key);
  } else {
    out.key = make_key(spec.key);
  }
  out.cert.reset(X509_new());
  X509* x = out.cert.get();
  check(X509_set_version(x, 2) == 1, "version");
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), spec.not_before_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(x), spec.not_after_days * 86400L);
  X509_set_pubkey(x, out.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("trustagent tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  for (const auto& [field, bytes] : spec.raw_subject) {
    check(X509_NAME_add_entry_by_txt(name, field.c_str(), V_ASN1_UTF8STRING,
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()), -1, 0) == 1,
          "raw subject entry");
  }
  X509* signer_cert = issuer ? issuer->cert.get() : x;
  EVP_PKEY* signer_key = issuer ? issuer->key.get() : out.key.get();
  X509_set_issuer_name(x, X509_get_subject_name(signer_cert));
  if (spec.basic_constraints) {
    std::string constraints = !spec.is_ca ? "CA:FALSE"
                              : spec.path_length < 0
                                  ? "critical,CA:TRUE"
                                  : "critical,CA:TRUE,pathlen:" + std::to_string(spec.path_length);
    add_ext(x, signer_cert, NID_basic_constraints, constraints.c_str());
  }
  std::string usage = !spec.key_usage.empty() ? spec.key_usage
                      : spec.is_ca            ? "critical,keyCertSign,cRLSign"
                                              : "critical,digitalSignature,keyEncipherment";
  if (usage != "none") add_ext(x, signer_cert, NID_key_usage, usage.c_str());
  if (!spec.extended_key_usage.empty()) {
    add_ext(x, signer_cert, NID_ext_key_usage, spec.extended_key_usage.c_str());
  }
  if (spec.key_identifiers) {
    add_ext(x, signer_cert, NID_subject_key_identifier,
            spec.subject_key_id.empty() ? "hash" : spec.subject_key_id.c_str());
    if (issuer && X509_get0_subject_key_id(signer_cert) != nullptr) {
      add_ext(x, signer_cert, NID_authority_key_identifier, "keyid:always");
    }
  }
  if (!spec.name_constraints.empty()) {
    add_ext(x, signer_cert, NID_name_constraints, ("critical," + spec.name_constraints).c_str());
  }
  if (!spec.raw_dns_names.empty()) {
    Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
    std::vector<std::string> all = spec.dns_names;  // one extension: a second would void both
    all.insert(all.end(), spec.raw_dns_names.begin(), spec.raw_dns_names.end());
    for (const auto& bytes : all) {
      GENERAL_NAME* n = GENERAL_NAME_new();
      ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
      ASN1_STRING_set(ia5, bytes.data(), static_cast<int>(bytes.size()));
      GENERAL_NAME_set0_value(n, GEN_DNS, ia5);
      sk_GENERAL_NAME_push(names.get(), n);
    }
    check(X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, 0) == 1, "raw SAN");
  }
  if (spec.raw_dns_names.empty() && (!spec.dns_names.empty() || !spec.ip_addresses.empty())) {
    std::string san;
    for (const auto& n : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
    add_ext(x, signer_cert, NID_subject_alt_name, san.c_str());
  }
  // Ed25519 signs the message itself: no separate digest.
  bool ed25519 = EVP_PKEY_is_a(signer_key, "ED25519");
  const EVP_MD* md = ed25519 ? nullptr : EVP_get_digestbyname(spec.digest.c_str());
  check(ed25519 || md != nullptr, "digest");
  check(X509_sign(x, signer_key, md) > 0, "sign");
  return out;
}

std::string base64_body(const Issued& cert) {
  std::string body;
  for (char c : cert.pem()) {
    if (c != '\n') body += c;
  }
  const std::string head = "-----BEGIN CERTIFICATE-----", tail = "-----END CERTIFICATE-----";
  return body.substr(head.size(), body.size() - head.size() - tail.size());
}

Issued make_plus_free_root(const std::string& common_name) {
  CertSpec spec;
  spec.common_name = common_name;
  spec.is_ca = true;
  spec.key = KeyKind::kEd25519;
  spec.key_identifiers = false;  // short: about one try in 500 has no '+'
  for (int attempt = 0; attempt < 100000; ++attempt) {
    Issued root = make_cert(spec);
    if (base64_body(root).find('+') == std::string::npos) return root;
  }
  throw std::runtime_error("cert_factory: no '+'-free certificate in 100000 tries");
}

std::string make_pkcs7(const std::vector<const Issued*>& certs, bool pem) {
  Ptr<PKCS7> p7(PKCS7_new());
  check(PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1, "pkcs7 type");
  check(PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1, "pkcs7 content");
  for (const Issued* c : certs) check(PKCS7_add_certificate(p7.get(), c->cert.get()) == 1, "add");
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  check((pem ? PEM_write_bio_PKCS7(bio.get(), p7.get()) : i2d_PKCS7_bio(bio.get(), p7.get())) == 1,
        "pkcs7 write");
  return bio_text(bio.get());
}

std::string make_crl_pem(const Issued& issuer) {
  Ptr<X509_CRL> crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.cert.get()));
  Ptr<ASN1_TIME> now(ASN1_TIME_new());
  X509_gmtime_adj(now.get(), 0);
  X509_CRL_set1_lastUpdate(crl.get(), now.get());
  Ptr<ASN1_TIME> next(ASN1_TIME_new());
  X509_gmtime_adj(next.get(), 86400L * 30);
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  check(X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) > 0, "crl sign");
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl.get());
  return bio_text(bio.get());
}

std::string make_pkcs12(const Issued& leaf, const std::vector<const Issued*>& chain,
                        const std::string& password) {
  STACK_OF(X509)* others = sk_X509_new_null();
  for (const Issued* c : chain) sk_X509_push(others, c->cert.get());
  PKCS12* p12 = PKCS12_create(password.c_str(), "trustagent test", leaf.key.get(), leaf.cert.get(),
                              others, 0, 0, 0, 0, 0);
  sk_X509_free(others);  // the certificates stay owned by their Issued
  check(p12 != nullptr, "PKCS12_create");
  unsigned char* buf = nullptr;
  int len = i2d_PKCS12(p12, &buf);
  PKCS12_free(p12);
  check(len > 0, "i2d_PKCS12");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

}  // namespace testing_support
