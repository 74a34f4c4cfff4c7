// Instants are seconds since the Unix epoch (UTC) everywhere; text is ISO 8601 with a Z.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trust {

std::string to_iso8601(int64_t epoch_seconds);  // "2027-01-10T00:00:00Z"
std::optional<int64_t> from_iso8601(std::string_view text);

// What a person types for a date: "2027-01-10T00:00:00Z", the same with an offset
// ("2027-01-10T02:00:00+02:00"), a bare date ("2027-01-10", midnight UTC), or the legacy
// klsetsrvcert's "10-01-2027 02:00" (day first, UTC).
std::optional<int64_t> from_date_text(std::string_view text);

}  // namespace trust
