// The signing options `policy publish` and `policy reserve` share: --sign-key/--sign-cert
// (repeatable, in pairs), --sign-pass-file, --valid-days and, for publish, --next-signers.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

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

}  // namespace cli
