// trustagent lint: does a server certificate (with its chain) meet the requirements a management
// server's certificates must meet (the seeds' tables, one profile per certificate kind)?
//
//   profile    what it is                          basicConstraints     keyUsage          EKU if
//   present common     the server's common certificate     present; a CA's      digitalSignature
//   serverAuth +
//              (C / CR)                            pathlen >= 1         (+keyEncipherment
//              clientAuth
//   mobile     the mobile-device certificate       as common             for RSA keys) serverAuth
//              (M / MR)
//   mca        CA for auto-generated user certs    CA:TRUE              keyCertSign clientAuth
//   webserver  web server / console certificate    not a CA             as common serverAuth mdm
//   device-management server (reserve)  not a CA             as common         serverAuth
//
// Every profile: keys >= 2048 bits RSA or >= 256 bits EC throughout, SHA-2 signatures throughout,
// the first certificate valid now for at most 397 days, and the chain complete up to a self-signed
// root (each certificate signed by the next). mobile, webserver and mdm need a subjectAltName, and
// any profile given an address needs one that matches it; mdm needs an RSA root of >= 4096 bits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trust/certificate.h"

namespace trust {

enum class LintProfile { kCommon, kMobile, kMca, kWebserver, kMdm };

std::optional<LintProfile> parse_lint_profile(std::string_view name);

// Stable codes: key_too_small, root_key_too_small, basic_constraints, key_usage, eku_incomplete,
// san_missing, san_mismatch, validity_over_397_days, signature_not_sha2, chain_incomplete,
// expired, not_yet_valid.
struct LintFinding {
  std::string code;
  int certificate = 0;  // 1-based position in the ordered chain (1 = the certificate linted)
  std::string message;
};

// Orders `certs` as a chain starting at the first one (each next one is the issuer of the last),
// dropping certificates that are not part of it. What lint_chain then checks.
std::vector<Certificate> order_chain(std::vector<Certificate> certs);

std::vector<LintFinding> lint_chain(const std::vector<Certificate>& chain, LintProfile profile,
                                    const std::string& address, int64_t now);

}  // namespace trust
