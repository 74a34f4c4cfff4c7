// Small conversions the state, cache and index formats share.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trust {

// The whole of `text` as a number in `base`; false on anything else (sign, space, overflow).
template <class T>
bool parse_number(std::string_view text, T& out, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

// Each "first<TAB>rest" line of a small state file, in order; lines without a tab are skipped.
inline std::vector<std::pair<std::string, std::string>> tab_pairs(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    if (size_t tab = line.find('\t'); tab != std::string_view::npos) {
      out.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    }
    at = end + 1;
  }
  return out;
}

// The tab-separated fields of one record line, as views into it ("a\t\tb" gives "a", "", "b"; a
// trailing tab gives a last empty field). `out` is reused, so a reader of many lines allocates
// once.
inline void tab_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  while (true) {
    size_t tab = line.find('\t');
    out.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return;
    line.remove_prefix(tab + 1);
  }
}
inline std::vector<std::string_view> tab_fields(std::string_view line) {
  std::vector<std::string_view> out;
  tab_fields(line, out);
  return out;
}

// A value written into a tab-separated record: tabs and line breaks become spaces, so it can
// never end its field or its line early. (Text from outside is printable_text() already; this is
// the record format's own guarantee.)
inline std::string record_field(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

// Lowercase hex without padding: how subject-name hashes are written in the index and cache.
inline std::string hex_number(unsigned long value) {
  char buf[2 * sizeof value];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, 16);
  (void)ec;  // the buffer always fits
  return std::string(buf, end);
}

// "/a/b/c.pem" -> "/a/b" and "c.pem"; "c.pem" -> "." and "c.pem".
inline std::string parent_directory(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
inline std::string file_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace trust
