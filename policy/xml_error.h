// Line and column of a byte offset, for "file:line:column: message" errors.
#pragma once

#include <string>
#include <string_view>

namespace policy {

std::string where(const std::string& file, std::string_view text, std::ptrdiff_t offset);

}  // namespace policy
