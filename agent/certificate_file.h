// The certificates an administrator's file holds, for `add`, `reserve add` and `move --cert`:
// anything a source may hold (PEM, DER, PKCS#7, UTF-16 text) or a PKCS#12 container (.p12/.pfx,
// a Java truststore) opened with its password, where only the certificate bags are read: a key
// is never decrypted nor written (trust/lint_input.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trust/result.h"

namespace agent {

// The DER certificates to import, or nullopt when the file is an ordinary source with
// certificates and neither a password nor a pick was given (the caller's usual path, which also
// reports skipped blocks). `pick`: "" (every certificate), "leaf", "root" or N, in a chain written
// in any order (leaf first up to the root; for unrelated certificates N is the position in the
// file). Errors (kBadInput) name the file: no certificate, a PKCS#12 without certificates, a wrong
// or missing password, a pick past the chain.
trust::Result<std::optional<std::vector<std::string>>> certificates_to_import(
    const std::string& path, const std::optional<std::string>& password, const std::string& pick);

// --password-file's first line, else --password when `given` (the empty password counts), else
// nullopt (try none and empty).
trust::Result<std::optional<std::string>> password_from(const std::string& password,
                                                        const std::string& password_file,
                                                        bool given);

}  // namespace agent
