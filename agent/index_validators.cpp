#include "agent/index_validators.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "trust/atomic_file.h"
#include "trust/source_reader.h"
#include "trust/text.h"

namespace agent {
namespace {

bool is_field(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

}  // namespace

std::map<std::string, IndexValidators> load_index_validators(const trust::Layout& layout) {
  std::map<std::string, IndexValidators> out;
  auto content = trust::read_source_file(layout.refresh_state, 64 << 10);
  if (!content) return out;
  std::string_view text = *content;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    auto fields = trust::tab_fields(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (fields.size() == 4 && fields[0] == "server") {
      out[std::string(fields[1])] = {std::string(fields[2]), std::string(fields[3])};
    }
  }
  return out;
}

trust::Result<void> save_index_validators(const trust::Layout& layout,
                                          const std::map<std::string, IndexValidators>& by_url) {
  std::string text;
  for (const auto& [url, v] : by_url) {
    if (!is_field(url) || !is_field(v.etag) || !is_field(v.last_modified)) continue;
    text += "server\t" + url + "\t" + v.etag + "\t" + v.last_modified + "\n";
  }
  return trust::write_file_atomic(layout.refresh_state, text);
}

}  // namespace agent
