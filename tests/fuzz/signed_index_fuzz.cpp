// Reading a signed policy index (policy/signed_index.h). The first byte picks what the rest is:
//  - even: an index, which the target signs with its own signer before verifying, so the fuzzer
//    reaches the serial, expiry and <Signer> rules behind a good signature. Properties: an
//    accepted index has a serial and an expiry after `now`, is accepted again with itself as the
//    last one, and is refused as a replay once a higher serial was accepted.
//  - odd: an index and a signature of the fuzzer's making (split in the middle), which must never
//    be accepted: no key but the target's own can sign for its signer.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

#include "policy/signed_index.h"
#include "tests/fuzz/fuzz_check.h"
#include "trust/cms_signature.h"
#include "trust/fingerprint.h"

namespace {

constexpr int64_t kNow = 1764460800;  // 2025-11-30: inside the signer's validity

struct Signer {
  trust::ossl::Ptr<EVP_PKEY> key;
  std::vector<trust::Certificate> certs;
};

// One self-signed P-256 signer, valid 2020-2040, made once per process.
const Signer& signer() {
  static const Signer s = [] {
    Signer out;
    out.key.reset(EVP_EC_gen("P-256"));
    trust::ossl::Ptr<X509> x(X509_new());
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    ASN1_TIME_set(X509_getm_notBefore(x.get()), 1577836800);  // 2020-01-01
    ASN1_TIME_set(X509_getm_notAfter(x.get()), 2208988800);   // 2040-01-01
    X509_NAME* name = X509_get_subject_name(x.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fuzz signer"), -1, -1, 0);
    X509_set_issuer_name(x.get(), name);
    X509_set_pubkey(x.get(), out.key.get());
    X509_sign(x.get(), out.key.get(), EVP_sha256());
    auto cert = trust::Certificate::from_der(trust::der_of(*x));
    FUZZ_CHECK(cert);
    out.certs.push_back(std::move(*cert));
    return out;
  }();
  return s;
}

void signed_by_us(std::string_view xml) {
  const Signer& s = signer();
  auto signature = trust::sign_detached(xml, {{s.certs.front(), *s.key}});
  FUZZ_CHECK(signature);
  auto accepted = policy::verify_signed_index(xml, *signature, s.certs, std::nullopt, kNow, "fuzz");
  if (!accepted) return;
  const policy::AcceptedIndex& a = accepted->accepted;
  FUZZ_CHECK(a.expires > kNow);
  FUZZ_CHECK(a.serial >= 0);
  FUZZ_CHECK(a.sha256 == trust::to_hex(trust::sha256_of(xml)));
  FUZZ_CHECK(a.signer_sha256 == s.certs.front().info().sha256);
  FUZZ_CHECK(policy::verify_signed_index(xml, *signature, s.certs, a, kNow, "fuzz"));
  if (a.serial < INT64_MAX) {
    policy::AcceptedIndex newer = a;
    newer.serial = a.serial + 1;
    FUZZ_CHECK(!policy::verify_signed_index(xml, *signature, s.certs, newer, kNow, "fuzz"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    signed_by_us(rest);
    return 0;
  }
  std::string_view xml = rest.substr(0, rest.size() / 2);
  std::string_view signature = rest.substr(rest.size() / 2);
  FUZZ_CHECK(
      !policy::verify_signed_index(xml, signature, signer().certs, std::nullopt, kNow, "fuzz"));
  return 0;
}
