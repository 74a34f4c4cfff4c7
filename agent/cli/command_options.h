// Options several commands share, declared once:
//  - signing (`policy publish`, `policy reserve`): --sign-key/--sign-cert (repeatable, in pairs),
//    --sign-pass-file, --valid-days and, for publish, --next-signers;
//  - a PKCS#12 password (`add`, `reserve add`, `move`, `lint`): --password or --password-file;
//  - an activation time (`reserve add`, `policy reserve`): --activate-at or --activate-in.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "agent/index_publisher.h"
#include "trust/result.h"

namespace cli {

struct SigningOptions {
  agent::IndexSigning signing;
  double valid_days = 7;
};

void add_signing_options(CLI::App* cmd, SigningOptions& o, bool with_next_signers);

// nullopt without a key; an error for a lifetime no index may have.
trust::Result<std::optional<agent::IndexSigning>> signing_from(const SigningOptions& o);

struct PasswordOptions {
  std::string password, file;
  CLI::Option* password_option = nullptr;  // to tell `--password ""` from no option
};

void add_password_options(CLI::App* cmd, PasswordOptions& o);

// The file's first line, else --password when given (the empty password counts), else nullopt
// (both "no password" and "" are tried).
trust::Result<std::optional<std::string>> password_of(const PasswordOptions& o);

struct ActivationOptions {
  std::string at;
  double in_days = -1;
};

void add_activation_options(CLI::App* cmd, ActivationOptions& o);

// nullopt when neither was given (the reserve activates when what it replaces expires).
trust::Result<std::optional<int64_t>> activation_of(const ActivationOptions& o, int64_t now);

}  // namespace cli
