// What a certificate's text can do to a store. The input is a subject, an issuer and a source
// name (separated by NUL bytes), then the bytes of a source file. Properties:
//  - the merged store rendered with those strings as annotations, and a managed source annotated
//    with them, read back with OpenSSL's own PEM reader (PEM_read_bio, and PEM_X509_INFO_read_bio
//    as curl uses it) as exactly the certificates written: no more, no fewer, same order;
//  - the same for the certificates trustagent's reader finds in the source bytes;
//  - pem_comment_text() is valid UTF-8 without control characters, holds no run of five dashes
//    and stays within its length.
#include <openssl/pem.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "trust/certificate.h"
#include "trust/managed_source.h"
#include "trust/pem_parity.h"
#include "trust/safe_text.h"
#include "trust/source_reader.h"
#include "trust/store_index.h"

namespace {

using trust::ossl::Ptr;

// A real certificate for the annotations to sit on, made once.
const std::string& sample_der() {
  static const std::string der = [] {
    Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    Ptr<X509> x(X509_new());
    X509_set_version(x.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400L);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fuzz"), -1, -1, 0);
    X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
    X509_set_pubkey(x.get(), key.get());
    X509_sign(x.get(), key.get(), nullptr);
    return trust::der_of(*x);
  }();
  return der;
}

std::vector<std::string_view> split_fields(std::string_view input, size_t count) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < count) {
    size_t nul = input.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(input.substr(0, nul));
    input.remove_prefix(nul + 1);
  }
  out.push_back(input);
  while (out.size() < count) out.emplace_back();
  return out;
}

// Certificates PEM_X509_INFO_read_bio finds, as curl --cacert loads a CA file.
size_t x509_info_count(const std::string& text) {
  Ptr<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
  if (infos == nullptr) {
    trust::ossl::drain_errors();
    return static_cast<size_t>(-1);
  }
  size_t certs = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    if (sk_X509_INFO_value(infos, i)->x509 != nullptr) ++certs;
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  return certs;
}

void check_same(const std::string& text, const std::vector<std::string_view>& ders) {
  auto blocks = trust::openssl_pem_blocks(text);
  FUZZ_CHECK(blocks);
  FUZZ_CHECK(blocks->size() == ders.size());
  for (size_t i = 0; i < ders.size(); ++i) FUZZ_CHECK((*blocks)[i].der == ders[i]);
  std::vector<trust::ExpectedCert> expected;
  for (auto d : ders) expected.push_back({d, "fuzz"});
  FUZZ_CHECK(trust::check_reads_back(text, expected, "fuzz"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto f = split_fields(input, 4);

  for (auto raw : {f[0], f[1], f[2]}) {
    std::string inert = trust::pem_comment_text(raw);
    FUZZ_CHECK(inert.size() <= trust::kMaxCommentText);
    FUZZ_CHECK(inert.find("-----") == std::string::npos);
    FUZZ_CHECK(trust::printable_text(inert) == inert);  // valid UTF-8, nothing left to escape
    std::string printable = trust::printable_text(raw);
    FUZZ_CHECK(printable.find_first_of("\n\r\t") == std::string::npos);
    FUZZ_CHECK(trust::printable_text(printable) == printable);
  }

  trust::CertInfo info;
  info.subject = std::string(f[0]);
  info.issuer = std::string(f[1]);
  info.sha256 = std::string(f[1]);
  const std::string& der = sample_der();
  std::vector<trust::StoreEntry> entries = {{&info, der, {std::string(f[2])}},
                                            {&info, der, {std::string(f[2]), "second"}}};
  std::string store = trust::render_store(entries).text;
  check_same(store, {der, der});
  FUZZ_CHECK(x509_info_count(store) == 2);
  std::string managed = trust::annotated_certificate(info, der);
  check_same(managed, {der});
  FUZZ_CHECK(x509_info_count(managed) == 1);

  // Whatever trustagent's reader takes from arbitrary bytes renders to exactly that.
  trust::ReadResult read = trust::split_certificates(f[3]);
  entries.clear();
  std::vector<std::string_view> found;
  for (const auto& c : read.certs) {
    entries.push_back({&info, c.der, {std::string(f[2])}});
    found.push_back(c.der);
  }
  check_same(trust::render_store(entries).text, found);
  return 0;
}
