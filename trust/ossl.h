// One home for every OpenSSL deleter: std::unique_ptr owns each handle, nothing is freed by hand.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace trust::ossl {

template <class T>
struct Free;
template <>
struct Free<X509> {
  void operator()(X509* p) const { X509_free(p); }
};
template <>
struct Free<BIO> {
  void operator()(BIO* p) const { BIO_free(p); }
};
template <>
struct Free<PKCS7> {
  void operator()(PKCS7* p) const { PKCS7_free(p); }
};
template <>
struct Free<EVP_PKEY> {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
template <>
struct Free<EVP_PKEY_CTX> {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
template <>
struct Free<EVP_MD> {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
template <>
struct Free<EVP_MD_CTX> {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
template <>
struct Free<EVP_ENCODE_CTX> {
  void operator()(EVP_ENCODE_CTX* p) const { EVP_ENCODE_CTX_free(p); }
};
template <>
struct Free<X509_NAME> {
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
};
template <>
struct Free<X509_EXTENSION> {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <>
struct Free<ASN1_TIME> {
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
template <>
struct Free<BIGNUM> {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <>
struct Free<X509_CRL> {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
template <>
struct Free<STACK_OF(X509)> {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

template <>
struct Free<X509_STORE> {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
template <>
struct Free<X509_STORE_CTX> {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
template <>
struct Free<CMS_ContentInfo> {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
template <>
struct Free<GENERAL_NAMES> {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};

template <>
struct Free<PKCS12> {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};
template <>
struct Free<STACK_OF(PKCS7)> {
  void operator()(STACK_OF(PKCS7) * p) const { sk_PKCS7_pop_free(p, PKCS7_free); }
};
template <>
struct Free<STACK_OF(PKCS12_SAFEBAG)> {
  void operator()(STACK_OF(PKCS12_SAFEBAG) * p) const {
    sk_PKCS12_SAFEBAG_pop_free(p, PKCS12_SAFEBAG_free);
  }
};
template <>
struct Free<PBEPARAM> {
  void operator()(PBEPARAM* p) const { PBEPARAM_free(p); }
};
template <>
struct Free<PBE2PARAM> {
  void operator()(PBE2PARAM* p) const { PBE2PARAM_free(p); }
};
template <>
struct Free<PBKDF2PARAM> {
  void operator()(PBKDF2PARAM* p) const { PBKDF2PARAM_free(p); }
};

template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;

// Memory OpenSSL allocated for the caller (PEM_read_bio's name and data, i2d_* output).
struct FreeBytes {
  void operator()(void* p) const { OPENSSL_free(p); }
};
template <class T>
using Bytes = std::unique_ptr<T, FreeBytes>;

// Drains the thread's OpenSSL error queue into one line ("" when empty), so no failure leaves
// stale errors behind for the next caller to misreport.
std::string drain_errors();

// `message`, followed by " (" and the drained errors ")" when there were any.
std::string with_errors(std::string message);

}  // namespace trust::ossl
