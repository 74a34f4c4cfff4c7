// Rendering what the `policy` commands report: the effective settings, a refresh, a signer.
#pragma once

#include <nlohmann/json.hpp>

#include "agent/refresh.h"
#include "policy/policy_set.h"
#include "trust/certificate.h"

namespace cli {

nlohmann::json effective_json(const policy::Effective& e);
void print_effective(const policy::Effective& e);

nlohmann::json refresh_json(const agent::RefreshReport& report);
void print_refresh_text(const agent::RefreshReport& report);

nlohmann::json signer_json(const trust::CertInfo& c);

}  // namespace cli
