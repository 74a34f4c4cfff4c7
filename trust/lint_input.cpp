#include "trust/lint_input.h"

#include <openssl/pkcs12.h>

#include "trust/source_reader.h"

namespace trust {
namespace {

struct Pkcs12Deleter {
  void operator()(PKCS12* p) const { PKCS12_free(p); }
};

Result<std::vector<Certificate>> from_pkcs12(PKCS12& p12, const std::string& path,
                                             const std::optional<std::string>& password) {
  // Without a password, try the two ways tools write "no password": empty and absent.
  std::vector<const char*> tries;
  if (password) {
    tries.push_back(password->c_str());
  } else {
    tries = {"", nullptr};
  }
  const char* pass = nullptr;
  bool opened = false;
  for (const char* p : tries) {
    if (PKCS12_verify_mac(&p12, p, -1) == 1) {
      pass = p;
      opened = true;
      break;
    }
  }
  if (!opened) {
    ossl::drain_errors();
    return make_error(Code::kBadInput,
                      path + ": PKCS#12: " + (password ? "wrong password" : "needs --password") +
                          " (the integrity check failed)");
  }
  EVP_PKEY* key = nullptr;
  X509* leaf = nullptr;
  STACK_OF(X509)* others = nullptr;
  if (PKCS12_parse(&p12, pass, &key, &leaf, &others) != 1) {
    return make_error(Code::kBadInput,
                      path + ": PKCS#12 cannot be decrypted: " + ossl::drain_errors());
  }
  EVP_PKEY_free(key);  // never kept
  std::vector<Certificate> out;
  auto take = [&](X509* x) {
    auto cert = Certificate::from_der(der_of(*x));
    if (cert) out.push_back(std::move(*cert));
  };
  if (leaf) take(leaf);
  for (int i = 0; others && i < sk_X509_num(others); ++i) take(sk_X509_value(others, i));
  X509_free(leaf);
  sk_X509_pop_free(others, X509_free);
  if (out.empty()) return make_error(Code::kBadInput, path + ": PKCS#12 holds no certificate");
  return out;
}

}  // namespace

Result<std::vector<Certificate>> read_certificate_container(
    const std::string& path, const std::optional<std::string>& password) {
  auto content = read_source_file(path);
  if (!content) return make_error(Code::kBadInput, content.error().message);
  ReadResult read = read_certificates(*content);
  if (!read.certs.empty()) {
    std::vector<Certificate> out;
    for (auto& raw : read.certs) {
      if (auto cert = Certificate::from_der(std::move(raw.der))) out.push_back(std::move(*cert));
    }
    return out;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(content->data());
  std::unique_ptr<PKCS12, Pkcs12Deleter> p12(
      d2i_PKCS12(nullptr, &bytes, static_cast<long>(content->size())));
  ossl::drain_errors();
  if (p12) return from_pkcs12(*p12, path, password);
  std::string why = read.warnings.empty() ? "the file is empty" : describe(path, read.warnings[0]);
  return make_error(Code::kBadInput, path + ": no certificate in it (" + why + ")");
}

}  // namespace trust
