#include "trust/lint.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <algorithm>

#include "trust/ossl.h"
#include "trust/thresholds.h"

namespace trust {
namespace {

bool is_rsa(EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
}

bool sha2_signed(X509& x) {
  int md = NID_undef, pk = NID_undef;
  if (!OBJ_find_sigid_algs(X509_get_signature_nid(&x), &md, &pk)) return false;
  switch (md) {
    case NID_sha224:
    case NID_sha256:
    case NID_sha384:
    case NID_sha512:
    case NID_sha512_224:
    case NID_sha512_256:
      return true;
    case NID_undef:  // EdDSA and RSA-PSS carry no digest here: no SHA-1 or MD5 either
      return pk == NID_ED25519 || pk == NID_ED448 || pk == NID_rsassaPss;
    default:
      return false;
  }
}

bool is_ip(const std::string& address) {
  unsigned char buf[16];
  return inet_pton(AF_INET, address.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

struct Checker {
  const std::vector<Certificate>& chain;
  LintProfile profile;
  std::vector<LintFinding> findings;

  void add(const char* code, size_t index, const std::string& message) {
    findings.push_back(
        {code, static_cast<int>(index + 1),
         "[" + std::to_string(index + 1) + "] '" + chain[index].info().subject + "': " + message});
  }
  bool server_profile() const { return profile != LintProfile::kMca; }
};

void check_every_certificate(Checker& c, int64_t now) {
  for (size_t i = 0; i < c.chain.size(); ++i) {
    X509* x = c.chain[i].x509_ptr();
    CertInfo info = c.chain[i].info();
    if (EVP_PKEY* key = X509_get0_pubkey(x)) {
      int bits = EVP_PKEY_get_bits(key);
      bool ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
      if ((is_rsa(key) && bits < kMinRsaBits) || (ec && bits < kMinEcBits)) {
        c.add("key_too_small", i,
              std::to_string(bits) + "-bit " + info.key_type +
                  " key; at least RSA 2048 or EC 256 is required");
      }
    }
    if (!sha2_signed(*x)) {
      c.add("signature_not_sha2", i,
            "signed with " + info.signature_algorithm + "; SHA-2 signatures are required");
    }
    if (info.not_after <= now) c.add("expired", i, "expired");
    if (info.not_before > now) c.add("not_yet_valid", i, "not valid yet");
  }
}

void check_chain(Checker& c) {
  const auto& chain = c.chain;
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(chain[i + 1].x509_ptr());
    if (issuer_key == nullptr || X509_verify(chain[i].x509_ptr(), issuer_key) != 1) {
      c.add("chain_incomplete", i, "its signature does not verify with the next certificate's key");
    }
  }
  X509* top = chain.back().x509_ptr();
  if (X509_self_signed(top, 1) != 1) {
    c.add("chain_incomplete", chain.size() - 1,
          "issued by '" + chain.back().info().issuer +
              "', which is not in the file: include the whole chain up to the self-signed root");
  } else if (c.profile == LintProfile::kMdm) {
    EVP_PKEY* key = X509_get0_pubkey(top);
    if (key && is_rsa(key) && EVP_PKEY_get_bits(key) < 4096) {
      c.add("root_key_too_small", chain.size() - 1,
            "the root's RSA key has " + std::to_string(EVP_PKEY_get_bits(key)) +
                " bits; mdm needs at least 4096");
    }
  }
  ossl::drain_errors();
}

void check_constraints_and_usage(Checker& c) {
  X509* x = c.chain.front().x509_ptr();
  uint32_t flags = X509_get_extension_flags(x);
  bool has_bc = flags & EXFLAG_BCONS;
  bool ca = flags & EXFLAG_CA;
  switch (c.profile) {
    case LintProfile::kCommon:
    case LintProfile::kMobile:
      if (!has_bc) {
        c.add("basic_constraints", 0, "no basicConstraints extension");
      } else if (ca && X509_get_pathlen(x) == 0) {
        c.add("basic_constraints", 0, "a CA with pathLenConstraint 0; it must be at least 1");
      }
      break;
    case LintProfile::kMca:
      if (!ca) c.add("basic_constraints", 0, "must be a CA (basicConstraints CA:TRUE)");
      break;
    case LintProfile::kWebserver:
    case LintProfile::kMdm:
      if (ca) c.add("basic_constraints", 0, "must not be a CA (basicConstraints CA:TRUE)");
      break;
  }

  uint32_t ku = X509_get_key_usage(x);
  if (ku == UINT32_MAX) {
    c.add("key_usage", 0, "no keyUsage extension");
  } else if (!c.server_profile()) {
    if (!(ku & KU_KEY_CERT_SIGN)) c.add("key_usage", 0, "keyUsage lacks keyCertSign");
  } else {
    if (!(ku & KU_DIGITAL_SIGNATURE)) c.add("key_usage", 0, "keyUsage lacks digitalSignature");
    EVP_PKEY* key = X509_get0_pubkey(x);
    if (key && is_rsa(key) && !(ku & KU_KEY_ENCIPHERMENT)) {
      c.add("key_usage", 0, "keyUsage lacks keyEncipherment (an RSA key)");
    }
  }

  uint32_t xku = X509_get_extended_key_usage(x);
  if (xku != UINT32_MAX && !(xku & XKU_ANYEKU)) {
    bool need_server = c.profile != LintProfile::kMca;
    bool need_client = c.profile == LintProfile::kCommon || c.profile == LintProfile::kMca;
    std::string missing;
    if (need_server && !(xku & XKU_SSL_SERVER)) missing += "serverAuth";
    if (need_client && !(xku & XKU_SSL_CLIENT))
      missing += missing.empty() ? "clientAuth" : " and clientAuth";
    if (!missing.empty()) {
      c.add("eku_incomplete", 0, "extendedKeyUsage is present but lacks " + missing);
    }
  }
}

void check_names(Checker& c, const std::string& address) {
  X509* x = c.chain.front().x509_ptr();
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  bool has_san = names != nullptr && sk_GENERAL_NAME_num(names) > 0;
  GENERAL_NAMES_free(names);
  bool needs_san = c.profile == LintProfile::kMobile || c.profile == LintProfile::kWebserver ||
                   c.profile == LintProfile::kMdm || !address.empty();
  if (!has_san) {
    if (needs_san) c.add("san_missing", 0, "no subjectAltName; clients match the address there");
    return;
  }
  if (address.empty()) return;
  bool match = is_ip(address) ? X509_check_ip_asc(x, address.c_str(), 0) == 1
                              : X509_check_host(x, address.c_str(), address.size(),
                                                X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
  if (!match) {
    std::string listed;
    for (const auto& n : host_names(*x)) {
      if (n.rfind("CN=", 0) != 0) listed += (listed.empty() ? "" : ", ") + n;
    }
    c.add("san_mismatch", 0, "subjectAltName (" + listed + ") does not match '" + address + "'");
  }
}

}  // namespace

std::optional<LintProfile> parse_lint_profile(std::string_view name) {
  if (name == "common") return LintProfile::kCommon;
  if (name == "mobile") return LintProfile::kMobile;
  if (name == "mca") return LintProfile::kMca;
  if (name == "webserver") return LintProfile::kWebserver;
  if (name == "mdm") return LintProfile::kMdm;
  return std::nullopt;
}

std::vector<Certificate> order_chain(std::vector<Certificate> certs) {
  std::vector<Certificate> chain;
  if (certs.empty()) return chain;
  chain.push_back(std::move(certs.front()));
  certs.erase(certs.begin());
  while (X509_self_signed(chain.back().x509_ptr(), 0) != 1) {
    auto issuer = std::find_if(certs.begin(), certs.end(), [&](const Certificate& c) {
      return X509_check_issued(c.x509_ptr(), chain.back().x509_ptr()) == X509_V_OK;
    });
    if (issuer == certs.end()) break;
    chain.push_back(std::move(*issuer));
    certs.erase(issuer);
  }
  ossl::drain_errors();
  return chain;
}

std::vector<LintFinding> lint_chain(const std::vector<Certificate>& chain, LintProfile profile,
                                    const std::string& address, int64_t now) {
  if (chain.empty()) return {};
  Checker c{chain, profile, {}};
  check_every_certificate(c, now);
  check_chain(c);
  check_constraints_and_usage(c);
  check_names(c, address);
  const CertInfo first = chain.front().info();
  if (first.not_after - first.not_before > kMaxServerValidityDays * kDay) {
    c.add("validity_over_397_days", 0,
          "valid for " + std::to_string((first.not_after - first.not_before) / kDay) +
              " days; at most 397 are allowed");
  }
  return c.findings;
}

}  // namespace trust
