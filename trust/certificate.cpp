#include "trust/certificate.h"

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "trust/fingerprint.h"
#include "trust/safe_text.h"

namespace trust {
namespace {

std::string name_to_string(const X509_NAME* name) {
  ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  // RFC 2253 escaping keeps control characters (and so newlines) out of the text, while UTF-8
  // stays readable instead of turning into \XX escapes.
  const unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
    ossl::drain_errors();
    return "<unprintable name>";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

int64_t to_epoch(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ossl::drain_errors();
    return 0;
  }
  return static_cast<int64_t>(timegm(&tm));
}

std::string serial_hex(const X509& x) {
  ossl::Ptr<BIGNUM> bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(&x), nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string object_text(const ASN1_OBJECT* obj) {
  int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) return OBJ_nid2ln(nid);
  char buf[128];
  if (OBJ_obj2txt(buf, sizeof buf, obj, 1) <= 0) return "unknown";
  return buf;
}

std::string octets_hex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  return to_hex(ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s)));
}

}  // namespace

std::string authority_key_id(const X509& x) {
  // OpenSSL 3.0 declares the accessor without const; it only reads the cached extension.
  return octets_hex(X509_get0_authority_key_id(const_cast<X509*>(&x)));
}

Result<Certificate> Certificate::from_der(std::string der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    std::string why = ossl::drain_errors();
    return make_error(Code::kBadInput, "not a valid DER certificate" +
                                           (why.empty() ? std::string() : " (" + why + ")"));
  }
  size_t consumed = static_cast<size_t>(p - reinterpret_cast<const unsigned char*>(der.data()));
  if (consumed != der.size()) {
    return make_error(Code::kBadInput, std::to_string(der.size() - consumed) +
                                           " bytes of trailing data after the certificate");
  }
  return Certificate(std::move(x), std::move(der));
}

namespace {

// The DNS and IP subjectAltNames in the certificate's order, as "DNS:name" and "IP:address".
std::vector<std::string> alt_names(X509& x) {
  std::vector<std::string> out;
  ossl::Ptr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(&x, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      const ASN1_STRING* s = n->d.dNSName;
      std::string dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                      static_cast<size_t>(ASN1_STRING_length(s)));
      // A NUL or a byte that is not UTF-8 in a name is an attack; it is shown escaped, and an
      // escaped name cannot equal a host name typed by a person.
      out.push_back("DNS:" + printable_text(dns));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      int length = ASN1_STRING_length(ip);
      int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
      char text[INET6_ADDRSTRLEN] = "";
      if (family == AF_UNSPEC ||
          ::inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text) == nullptr) {
        text[0] = '\0';  // a malformed address matches no host
      }
      out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> server_names(X509& x) {
  std::vector<std::string> out = alt_names(x);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CertInfo Certificate::info() const {
  X509* x = x509_.get();
  CertInfo info;
  info.sha256 = to_hex(sha256_of(der_));
  info.sha1 = to_hex(sha1_of(der_));
  info.subject = printable_text(name_to_string(X509_get_subject_name(x)));
  info.issuer = printable_text(name_to_string(X509_get_issuer_name(x)));
  info.serial = serial_hex(*x);
  info.not_before = to_epoch(X509_get0_notBefore(x));
  info.not_after = to_epoch(X509_get0_notAfter(x));
  info.self_signed = X509_self_signed(x, 0) == 1;
  int ca = X509_check_ca(x);
  info.is_ca = ca == 1 || ca == 3;
  if (EVP_PKEY* key = X509_get0_pubkey(x)) {
    const char* type = EVP_PKEY_get0_type_name(key);
    info.key_type = type ? type : "unknown";
    info.key_bits = EVP_PKEY_get_bits(key);
  } else {
    ASN1_OBJECT* alg = nullptr;
    X509_PUBKEY_get0_param(&alg, nullptr, nullptr, nullptr, X509_get_X509_PUBKEY(x));
    info.key_type = alg ? object_text(alg) : "unknown";
  }
  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(nullptr, &sig_alg, x);
  const ASN1_OBJECT* sig_obj = nullptr;
  if (sig_alg) X509_ALGOR_get0(&sig_obj, nullptr, nullptr, sig_alg);
  info.signature_algorithm = sig_obj ? object_text(sig_obj) : "unknown";
  int ok = 0;
  info.subject_hash = X509_NAME_hash_ex(X509_get_subject_name(x), nullptr, nullptr, &ok);
  info.key_id = octets_hex(X509_get0_subject_key_id(x));
  info.server_names = server_names(*x);
  ossl::drain_errors();  // the accessors above may leave benign errors for odd certificates
  return info;
}

std::string store_defect(const Certificate& cert) {
  const X509* x = cert.x509_ptr();
  const X509_ALGOR* outer = nullptr;
  X509_get0_signature(nullptr, &outer, x);
  if (outer == nullptr || X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)) != 0) {
    return "its two signature algorithm fields differ (RFC 5280 4.1.1.2; GnuTLS would refuse the "
           "whole store)";
  }
  if (X509_get_version(x) == X509_VERSION_1 && X509_get_ext_count(x) > 0) {
    return "a version 1 certificate with extensions (GnuTLS would refuse the whole store)";
  }
  return "";
}

std::string der_of(X509& x) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(&x, &buf);
  if (len <= 0) {
    ossl::drain_errors();
    return "";
  }
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::vector<std::string> host_names(X509& x) {
  std::vector<std::string> out = alt_names(x);
  int cn = X509_NAME_get_index_by_NID(X509_get_subject_name(&x), NID_commonName, -1);
  if (cn >= 0) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(&x), cn));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, s);
    if (len >= 0)
      out.push_back("CN=" + printable_text(std::string_view(reinterpret_cast<char*>(utf8),
                                                            static_cast<size_t>(len))));
    OPENSSL_free(utf8);
  }
  ossl::drain_errors();
  return out;
}

std::string to_pem(std::string_view der) {
  static constexpr std::string_view kHead = "-----BEGIN CERTIFICATE-----\n";
  static constexpr std::string_view kTail = "-----END CERTIFICATE-----\n";
  // One EVP_EncodeBlock call for the whole certificate, then cut into 64-column lines.
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                            reinterpret_cast<const unsigned char*>(der.data()),
                            static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(len));
  std::string out;
  out.reserve(kHead.size() + b64.size() + b64.size() / 64 + 1 + kTail.size());
  out += kHead;
  for (size_t pos = 0; pos < b64.size(); pos += 64) {
    out.append(b64, pos, 64);
    out += '\n';
  }
  out += kTail;
  return out;
}

}  // namespace trust
