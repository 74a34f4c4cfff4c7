// A policy as canonical XML: what the central server's tooling can publish, and what
// parse_policy() reads back to an equal Policy (every setting that was set, nothing else; unknown
// elements are not kept). The fuzz target for the reader checks that round trip.
#pragma once

#include <string>

#include "policy/policy.h"

namespace policy {

std::string write_policy(const Policy& policy);

}  // namespace policy
