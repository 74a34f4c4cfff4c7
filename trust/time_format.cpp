#include "trust/time_format.h"

#include <cstdio>
#include <ctime>

namespace trust {

std::string to_iso8601(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "invalid-time";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> from_iso8601(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != static_cast<int>(s.size())) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<int64_t> from_date_text(std::string_view text) {
  if (auto exact = from_iso8601(text)) return exact;
  std::string s(text);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) ==
          3 &&
      consumed == static_cast<int>(s.size()) && s.size() == 10) {
    return from_iso8601(s + "T00:00:00Z");
  }
  // An offset: the local time minus the offset is UTC.
  char sign = 0;
  int off_h = 0, off_m = 0;
  if (s.size() != 25 ||
      std::sscanf(s.c_str() + 19, "%c%2d:%2d%n", &sign, &off_h, &off_m, &consumed) != 3 ||
      consumed != 6 || (sign != '+' && sign != '-') || off_h > 14 || off_m > 59) {
    return std::nullopt;
  }
  auto local = from_iso8601(s.substr(0, 19) + "Z");
  if (!local) return std::nullopt;
  int64_t offset = (off_h * 3600 + off_m * 60) * (sign == '+' ? 1 : -1);
  return *local - offset;
}

}  // namespace trust
