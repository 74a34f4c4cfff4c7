// JSON text for stdout and the state files. Strings that come from certificates, servers, policies
// and file names may hold bytes that are not UTF-8; nlohmann's encoder would throw on them (and an
// uncaught throw aborts the daemon). They are replaced with U+FFFD instead, a documented loss.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace agent {

// Indented, newline-terminated, always valid UTF-8.
inline std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace agent
