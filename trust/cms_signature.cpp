#include "trust/cms_signature.h"

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "trust/source_reader.h"

namespace trust {
namespace {

ossl::Ptr<BIO> memory_bio(std::string_view bytes) {
  return ossl::Ptr<BIO>(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

struct Passphrase {
  const std::optional<std::string>* text;
  bool asked = false;
};

// Called by OpenSSL only for an encrypted key.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* p = static_cast<Passphrase*>(user);
  p->asked = true;
  if (!*p->text || static_cast<int>((*p->text)->size()) > size) return -1;
  (*p->text)->copy(buf, (*p->text)->size());
  return static_cast<int>((*p->text)->size());
}

// An X509_STORE whose only anchors are `signers`, checking validity at `now`.
ossl::Ptr<X509_STORE> store_of(const std::vector<Certificate>& signers, int64_t now) {
  ossl::Ptr<X509_STORE> store(X509_STORE_new());
  if (!store) return store;
  for (const auto& s : signers) X509_STORE_add_cert(store.get(), s.x509_ptr());
  X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  // Not S/MIME's purpose: a signer certificate made for code or document signing (an
  // extendedKeyUsage without emailProtection) signs an index as well. The key usage still
  // counts: signing_refusal().
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  return store;
}

ossl::Ptr<STACK_OF(X509)> stack_of(const std::vector<Certificate>& certs) {
  ossl::Ptr<STACK_OF(X509)> stack(sk_X509_new_null());
  for (const auto& c : certs) {
    if (stack && X509_up_ref(c.x509_ptr()) == 1) {
      if (sk_X509_push(stack.get(), c.x509_ptr()) == 0) X509_free(c.x509_ptr());
    }
  }
  return stack;
}

}  // namespace

std::string signing_refusal(const Certificate& signer) {
  X509* x = signer.x509_ptr();
  bool has_key_usage = (X509_get_extension_flags(x) & EXFLAG_KUSAGE) != 0;
  if (has_key_usage && (X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) == 0) {
    return "its keyUsage does not include digitalSignature";
  }
  return "";
}

Result<ossl::Ptr<EVP_PKEY>> load_private_key(const std::string& path,
                                             const std::optional<std::string>& passphrase) {
  auto text = read_source_file(path, 1 << 20);
  if (!text) return text.error();
  auto bio = memory_bio(*text);
  Passphrase p{&passphrase};
  ossl::Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &p));
  std::string why = ossl::drain_errors();
  if (!key) {
    std::string reason = !p.asked      ? "no PEM private key in it"
                         : !passphrase ? "the key is encrypted: give --sign-pass-file"
                                       : "wrong passphrase, or a damaged key";
    return make_error(Code::kBadInput,
                      path + ": " + reason + (why.empty() ? "" : " (" + why + ")"));
  }
  return key;
}

Result<std::string> sign_detached(std::string_view content, const Certificate& signer,
                                  EVP_PKEY& key) {
  if (X509_check_private_key(signer.x509_ptr(), &key) != 1) {
    ossl::drain_errors();
    return make_error(
        Code::kBadInput,
        "the signing key does not belong to the signing certificate " + signer.info().subject);
  }
  auto data = memory_bio(content);
  ossl::Ptr<CMS_ContentInfo> cms(
      CMS_sign(signer.x509_ptr(), &key, nullptr, data.get(), CMS_DETACHED | CMS_BINARY));
  ossl::Ptr<BIO> out(BIO_new(BIO_s_mem()));
  if (!cms || !out || i2d_CMS_bio(out.get(), cms.get()) != 1) {
    return make_error(Code::kBadInput, "signing failed: " + ossl::drain_errors());
  }
  char* bytes = nullptr;
  long size = BIO_get_mem_data(out.get(), &bytes);
  return std::string(bytes, static_cast<size_t>(size));
}

Result<CertInfo> verify_detached(std::string_view content, std::string_view signature,
                                 const std::vector<Certificate>& signers, int64_t now) {
  if (signature.size() > kMaxSignatureBytes) {
    return make_error(Code::kRefused, "the signature is larger than 1 MiB");
  }
  auto sig = memory_bio(signature);
  ossl::Ptr<CMS_ContentInfo> cms(d2i_CMS_bio(sig.get(), nullptr));
  if (!cms) {
    ossl::drain_errors();
    return make_error(Code::kRefused, "not a DER CMS signature");
  }
  auto store = store_of(signers, now);
  auto certs = stack_of(signers);
  auto data = memory_bio(content);
  if (!store || !certs || !data) return make_error(Code::kRefused, "out of memory");
  // NOINTERN: the signer is looked up among `signers` only, never among certificates the
  // signature carries, so a signature cannot bring its own signer along.
  if (CMS_verify(cms.get(), certs.get(), store.get(), data.get(), nullptr,
                 CMS_BINARY | CMS_NOINTERN) != 1) {
    std::string why = ossl::drain_errors();
    return make_error(Code::kRefused, "bad signature" + (why.empty() ? "" : ": " + why));
  }
  STACK_OF(X509)* found = CMS_get0_signers(cms.get());
  X509* signer = found ? sk_X509_value(found, 0) : nullptr;
  CertInfo info;
  std::string refusal;
  for (const auto& s : signers) {
    if (signer && X509_cmp(signer, s.x509_ptr()) == 0) {
      info = s.info();
      refusal = signing_refusal(s);
    }
  }
  sk_X509_free(found);  // the certificates belong to the CMS structure
  ossl::drain_errors();
  if (info.sha256.empty()) return make_error(Code::kRefused, "the signer is not a policy signer");
  if (!refusal.empty())
    return make_error(Code::kRefused, "signer " + info.subject + ": " + refusal);
  return info;
}

}  // namespace trust
