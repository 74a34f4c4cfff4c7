#include "policy/xml_error.h"

#include <algorithm>

namespace policy {

std::string where(const std::string& file, std::string_view text, std::ptrdiff_t offset) {
  size_t end = offset < 0 ? 0 : std::min(static_cast<size_t>(offset), text.size());
  size_t line = 1 + static_cast<size_t>(std::count(
                        text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
  size_t line_start = text.rfind('\n', end == 0 ? 0 : end - 1);
  size_t column = line_start == std::string_view::npos || end == 0 ? end + 1 : end - line_start;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace policy
