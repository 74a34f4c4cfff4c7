// Instants are seconds since the Unix epoch (UTC) everywhere; text is ISO 8601 with a Z.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trust {

std::string to_iso8601(int64_t epoch_seconds);  // "2027-01-10T00:00:00Z"
std::optional<int64_t> from_iso8601(std::string_view text);

}  // namespace trust
