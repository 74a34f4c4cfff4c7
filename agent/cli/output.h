// Rendering results for people (text) and scripts (--json), and the exit code that goes with them.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>

#include "agent/cli/context.h"
#include "agent/connector.h"
#include "agent/store_sync.h"
#include "trust/certificate.h"
#include "trust/result.h"

namespace cli {

// What every command does first: bring the store up to date (the cheap no-change check) and print
// its warnings. On failure the error is printed, ctx.exit_code set, and nullopt returned.
std::optional<agent::StoreOutcome> bring_store_up_to_date(Context& ctx);

// Prints the error (JSON on stdout with --json, always one line on stderr) and returns its code.
int fail(const Context& ctx, const trust::Error& error);

nlohmann::json merge_json(const agent::StoreOutcome& outcome);
void print_merge_text(const agent::StoreOutcome& outcome);

// 0 when every input was clean, 2 when something was skipped or refused.
int merge_exit_code(const agent::StoreOutcome& outcome);

nlohmann::json cert_json(const trust::CertInfo& info);

// The chain a server presented: JSON objects, or numbered text blocks from [1] (the leaf).
nlohmann::json chain_json(const std::vector<agent::PresentedCert>& chain);
void print_chain(std::ostream& out, const std::vector<agent::PresentedCert>& chain);

}  // namespace cli
