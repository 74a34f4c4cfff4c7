#include "trust/lint_input.h"

#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>

#include "trust/source_reader.h"

namespace trust {
namespace {

// A file chooses how many times its password is hashed: 2^31 - 1 would hold `lint` for minutes,
// and so would a hundred safes of a million each. Real exporters use 2,048 (OpenSSL) to 100,000
// (Java, Windows) per step; the bound is on the whole file, far above them.
constexpr long kMaxPkcs12Iterations = 1000000;

// The iteration count a PKCS#12 encryption algorithm (PKCS#12 PBE or PBES2 with PBKDF2) asks
// for; -1 when the algorithm is not one of those.
long pbe_iterations(const X509_ALGOR* alg) {
  const ASN1_OBJECT* oid = nullptr;
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(&oid, &type, &value, alg);
  if (type != V_ASN1_SEQUENCE) return -1;
  const ASN1_TYPE* params = alg->parameter;
  if (OBJ_obj2nid(oid) != NID_pbes2) {
    ossl::Ptr<PBEPARAM> pbe(
        static_cast<PBEPARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), params)));
    return pbe ? ASN1_INTEGER_get(pbe->iter) : -1;
  }
  ossl::Ptr<PBE2PARAM> pbe2(
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), params)));
  if (!pbe2 || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2) return -1;
  ossl::Ptr<PBKDF2PARAM> kdf(static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
  return kdf ? ASN1_INTEGER_get(kdf->iter) : -1;
}

// Adds `iterations` to what the file has asked for so far (`spent`), refusing past the bound.
Result<void> check_iterations(long iterations, long& spent, const std::string& path,
                              const char* what) {
  if (iterations >= 1 && iterations <= kMaxPkcs12Iterations - spent) {
    spent += iterations;
    return {};
  }
  return make_error(Code::kBadInput,
                    path + ": PKCS#12 " + what + " asks for " +
                        (iterations < 0 ? std::string("an unsupported or unreadable scheme")
                                        : std::to_string(iterations) + " iterations") +
                        " (at most " + std::to_string(kMaxPkcs12Iterations) +
                        " are done for a whole file; " + std::to_string(spent) + " already)");
}

// Checks the integrity MAC with the password (without one, with the two ways tools write "no
// password": empty and absent) and returns the password that opened it.
Result<const char*> open_pkcs12(PKCS12& p12, const std::string& path,
                                const std::optional<std::string>& password, long& spent) {
  if (PKCS12_mac_present(&p12)) {
    const ASN1_INTEGER* mac_iterations = nullptr;
    PKCS12_get0_mac(nullptr, nullptr, nullptr, &mac_iterations, &p12);
    long iterations = mac_iterations ? ASN1_INTEGER_get(mac_iterations) : 1;
    // Two passwords may be tried ("" and none), each paying the integrity check again.
    if (!password) iterations *= 2;
    if (auto ok = check_iterations(iterations, spent, path, "integrity check"); !ok) {
      return ok.error();
    }
  }
  std::vector<const char*> tries;
  if (password) {
    tries.push_back(password->c_str());
  } else {
    tries = {"", nullptr};
  }
  for (const char* p : tries) {
    if (!PKCS12_mac_present(&p12) || PKCS12_verify_mac(&p12, p, -1) == 1) return p;
  }
  std::string why = ossl::drain_errors();
  return make_error(Code::kBadInput,
                    path + ": PKCS#12: " + (password ? "wrong password" : "needs --password") +
                        " (the integrity check failed" + (why.empty() ? "" : ": " + why) + ")");
}

// The bags of one safe, decrypted with `pass` when the safe is encrypted.
Result<ossl::Ptr<STACK_OF(PKCS12_SAFEBAG)>> bags_of(PKCS7& safe, const char* pass,
                                                    const std::string& path, long& spent) {
  ossl::Ptr<STACK_OF(PKCS12_SAFEBAG)> bags;
  int nid = OBJ_obj2nid(safe.type);
  if (nid == NID_pkcs7_data) {
    bags.reset(PKCS12_unpack_p7data(&safe));
  } else if (nid == NID_pkcs7_encrypted && safe.d.encrypted && safe.d.encrypted->enc_data) {
    long iterations = pbe_iterations(safe.d.encrypted->enc_data->algorithm);
    if (auto ok = check_iterations(iterations, spent, path, "encryption"); !ok) return ok.error();
    bags.reset(PKCS12_unpack_p7encdata(&safe, pass, pass ? -1 : 0));
    if (!bags) {
      // Without an integrity check a wrong password shows only here; and older Windows exports
      // use ciphers (RC2-40) that OpenSSL 3 leaves to its legacy provider.
      std::string why = ossl::drain_errors();
      return make_error(Code::kBadInput,
                        path + ": PKCS#12: its certificates cannot be decrypted (" +
                            (why.empty() ? "no reason given" : why) +
                            "): a wrong password, or a legacy cipher such as RC2-40 (convert "
                            "with openssl pkcs12 -legacy, then export it again)");
    }
  }
  return bags;
}

// The certificate bags among `bags`; the one that shares a localKeyID with the key is the leaf,
// and comes first.
void take_certificates(const STACK_OF(PKCS12_SAFEBAG) & bags, std::vector<Certificate>& out) {
  for (int b = 0; b < sk_PKCS12_SAFEBAG_num(&bags); ++b) {
    const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(&bags, b);
    if (PKCS12_SAFEBAG_get_nid(bag) != NID_certBag) continue;
    ossl::Ptr<X509> x(PKCS12_SAFEBAG_get1_cert(bag));
    if (!x) continue;
    auto cert = Certificate::from_der(der_of(*x));
    if (!cert) continue;
    bool leaf = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID) != nullptr;
    out.insert(leaf ? out.begin() : out.end(), std::move(*cert));
  }
}

// The certificate bags of the PKCS#12's safes. Key bags are never decrypted: only certificates
// are wanted, and a key's bytes go nowhere.
Result<std::vector<Certificate>> from_pkcs12(PKCS12& p12, const std::string& path,
                                             const std::optional<std::string>& password) {
  long spent = 0;
  auto pass = open_pkcs12(p12, path, password, spent);
  if (!pass) return pass.error();
  ossl::Ptr<STACK_OF(PKCS7)> safes(PKCS12_unpack_authsafes(&p12));
  if (!safes) {
    return make_error(Code::kBadInput, path + ": PKCS#12 cannot be read: " + ossl::drain_errors());
  }
  std::vector<Certificate> out;
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    auto bags = bags_of(*sk_PKCS7_value(safes.get(), i), *pass, path, spent);
    if (!bags) return bags.error();
    if (*bags) take_certificates(**bags, out);
  }
  ossl::drain_errors();
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
  ossl::Ptr<PKCS12> p12(d2i_PKCS12(nullptr, &bytes, static_cast<long>(content->size())));
  ossl::drain_errors();
  if (p12) return from_pkcs12(*p12, path, password);
  std::string why = read.warnings.empty() ? "the file is empty" : describe(path, read.warnings[0]);
  return make_error(Code::kBadInput, path + ": no certificate in it (" + why + ")");
}

}  // namespace trust
