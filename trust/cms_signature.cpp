#include "trust/cms_signature.h"

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
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

// Reads one DER header at `p` (within `end`): a definite length that fits, and the tag wanted.
bool enter(const unsigned char*& p, const unsigned char* end, int tag, int klass,
           const unsigned char** content_end) {
  long length = 0;
  int got_tag = 0, got_class = 0;
  int ret = ASN1_get_object(&p, &length, &got_tag, &got_class, end - p);
  if ((ret & 0x80) != 0 || (ret & 0x01) != 0 || got_tag != tag || got_class != klass) return false;
  *content_end = p + length;
  return true;
}

// How many digest algorithms a DER SignedData ContentInfo lists, or -1 when the bytes are not
// one: ContentInfo { contentType, [0] SignedData { version, digestAlgorithms SET, … } }.
int digest_algorithm_count(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  const unsigned char *info_end = nullptr, *skip = nullptr, *wrapped = nullptr,
                      *signed_end = nullptr, *set_end = nullptr;
  if (!enter(p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &info_end)) return -1;
  if (!enter(p, info_end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, &skip)) return -1;
  p = skip;
  if (!enter(p, info_end, 0, V_ASN1_CONTEXT_SPECIFIC, &wrapped)) return -1;
  if (!enter(p, wrapped, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &signed_end)) return -1;
  if (!enter(p, signed_end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &skip)) return -1;
  p = skip;
  if (!enter(p, signed_end, V_ASN1_SET, V_ASN1_UNIVERSAL, &set_end)) return -1;
  int count = 0;
  while (p < set_end && count <= kMaxSignatureSigners) {
    if (!enter(p, set_end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &skip)) return -1;
    p = skip;
    ++count;
  }
  return count;
}

// Why one signer of the signature does not count, or "" when it does. `chain` is the document
// already read through every digest the signature names.
std::string signer_refusal(CMS_SignerInfo* si, X509* signer, const Certificate& known,
                           X509_STORE& store, BIO* chain) {
  ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), &store, signer, nullptr) != 1) return "out of memory";
  if (X509_verify_cert(ctx.get()) != 1) {
    return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  if (std::string why = signing_refusal(known); !why.empty()) return why;
  if (CMS_signed_get_attr_count(si) >= 0 && CMS_SignerInfo_verify(si) != 1) {
    return "its signature does not verify";
  }
  if (CMS_SignerInfo_verify_content(si, chain) != 1) return "it does not sign this document";
  return "";
}

// Frees the digest BIOs CMS_dataInit pushed in front of `data`, and nothing else.
void free_digests(BIO* chain, BIO* data) {
  while (chain != nullptr && chain != data) {
    BIO* next = BIO_pop(chain);
    BIO_free(chain);
    chain = next;
  }
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

Result<std::string> sign_detached(std::string_view content, const std::vector<SigningKey>& keys) {
  constexpr unsigned kFlags = CMS_DETACHED | CMS_BINARY;
  ossl::Ptr<CMS_ContentInfo> cms(
      CMS_sign(nullptr, nullptr, nullptr, nullptr, kFlags | CMS_PARTIAL));
  if (!cms) return make_error(Code::kBadInput, "signing failed: " + ossl::drain_errors());
  for (const auto& k : keys) {
    if (X509_check_private_key(k.cert.x509_ptr(), &k.key) != 1) {
      return make_error(Code::kBadInput,
                        ossl::with_errors("the signing key does not belong to the certificate " +
                                          k.cert.info().subject));
    }
    if (CMS_add1_signer(cms.get(), k.cert.x509_ptr(), &k.key, nullptr, kFlags) == nullptr) {
      return make_error(Code::kBadInput, "signing failed: " + ossl::drain_errors());
    }
  }
  auto data = memory_bio(content);
  ossl::Ptr<BIO> out(BIO_new(BIO_s_mem()));
  if (!out || CMS_final(cms.get(), data.get(), nullptr, kFlags) != 1 ||
      i2d_CMS_bio(out.get(), cms.get()) != 1) {
    return make_error(Code::kBadInput, "signing failed: " + ossl::drain_errors());
  }
  char* bytes = nullptr;
  long size = BIO_get_mem_data(out.get(), &bytes);
  return std::string(bytes, static_cast<size_t>(size));
}

Result<CertInfo> verify_detached(std::string_view content, std::string_view signature,
                                 const std::vector<Certificate>& signers, int64_t now) {
  if (signature.size() > kMaxSignatureBytes) {
    return make_error(Code::kRefused, "the signature is larger than 256 KiB");
  }
  int digests = digest_algorithm_count(signature);
  if (digests < 1 || digests > kMaxSignatureSigners) {
    return make_error(Code::kRefused, digests < 1
                                          ? "not a DER CMS SignedData signature"
                                          : "the signature lists too many digest algorithms");
  }
  auto sig = memory_bio(signature);
  ossl::Ptr<CMS_ContentInfo> cms(d2i_CMS_bio(sig.get(), nullptr));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed ||
      CMS_is_detached(cms.get()) != 1) {
    return make_error(Code::kRefused,
                      ossl::with_errors("not a detached DER CMS SignedData signature"));
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  int count = infos ? sk_CMS_SignerInfo_num(infos) : 0;
  if (count < 1 || count > kMaxSignatureSigners) {
    return make_error(Code::kRefused, "the signature has " + std::to_string(count) + " signers");
  }
  auto store = store_of(signers, now);
  auto certs = stack_of(signers);
  auto data = memory_bio(content);
  if (!store || !certs || !data) return make_error(Code::kRefused, "out of memory");
  // NOINTERN: each signer is looked up among `signers` only, never among the certificates the
  // signature carries, so a signature cannot bring its own signer along.
  CMS_set1_signers_certs(cms.get(), certs.get(), CMS_NOINTERN);
  BIO* chain = CMS_dataInit(cms.get(), data.get());
  char buf[4096];
  while (chain != nullptr && BIO_read(chain, buf, sizeof buf) > 0) {
  }
  std::string reasons;
  CertInfo found;
  for (int i = 0; chain != nullptr && i < count && found.sha256.empty(); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, i);
    X509* signer = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
    const Certificate* known = nullptr;
    for (const auto& s : signers) {
      if (signer != nullptr && X509_cmp(signer, s.x509_ptr()) == 0) known = &s;
    }
    std::string why = known ? signer_refusal(si, signer, *known, *store, chain)
                            : "a signer that is not a policy signer";
    if (why.empty()) {
      found = known->info();
    } else {
      reasons += (reasons.empty() ? "" : "; ") +
                 (known ? "signer " + known->info().subject + ": " : std::string()) + why;
    }
  }
  free_digests(chain, data.get());
  ossl::drain_errors();
  if (found.sha256.empty()) return make_error(Code::kRefused, "bad signature: " + reasons);
  return found;
}

}  // namespace trust
