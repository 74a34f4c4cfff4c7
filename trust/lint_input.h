// The certificates in a file handed to `lint`: anything a source may hold (PEM, DER, PKCS#7), or a
// PKCS#12 container (.p12 / .pfx) opened with its password. The private key a PKCS#12 carries is
// decoded by OpenSSL only to get at the certificates and freed at once; it is never kept or shown.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trust/certificate.h"
#include "trust/result.h"

namespace trust {

// kBadInput for an unreadable file, a file with no certificate, or a PKCS#12 whose password is
// wrong (or missing); the message names the file.
Result<std::vector<Certificate>> read_certificate_container(
    const std::string& path, const std::optional<std::string>& password);

}  // namespace trust
