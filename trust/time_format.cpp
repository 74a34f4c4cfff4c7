#include "trust/time_format.h"

#include <cstdio>
#include <ctime>

namespace trust {

std::string to_iso8601(int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "invalid-time";
  // Not strftime: its %Y writes year 27 as "27", which from_iso8601 (four digits) cannot read back.
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

namespace {

// `n` digits at `at`, nothing else (no sign, no space: sscanf's %d takes both).
bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "YYYY-MM-DDTHH:MM:SS" exactly, a real instant (no 31 February, no hour 24), as epoch seconds.
std::optional<int64_t> date_time(std::string_view s) {
  std::tm tm{};
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || !digits(s, 0, 4, tm.tm_year) || !digits(s, 5, 2, tm.tm_mon) ||
      !digits(s, 8, 2, tm.tm_mday) || !digits(s, 11, 2, tm.tm_hour) ||
      !digits(s, 14, 2, tm.tm_min) || !digits(s, 17, 2, tm.tm_sec)) {
    return std::nullopt;
  }
  std::tm asked = tm;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  std::tm back{};
  // timegm normalises out-of-range fields; a date that comes back different was not a date.
  if (gmtime_r(&t, &back) == nullptr || back.tm_year + 1900 != asked.tm_year ||
      back.tm_mon + 1 != asked.tm_mon || back.tm_mday != asked.tm_mday ||
      back.tm_hour != asked.tm_hour || back.tm_min != asked.tm_min || back.tm_sec != asked.tm_sec) {
    return std::nullopt;
  }
  return static_cast<int64_t>(t);
}

}  // namespace

std::optional<int64_t> from_iso8601(std::string_view text) {
  if (text.size() != 20 || text.back() != 'Z') return std::nullopt;
  return date_time(text.substr(0, 19));
}

std::optional<int64_t> from_date_text(std::string_view text) {
  if (auto exact = from_iso8601(text)) return exact;
  // klsetsrvcert's "DD-MM-YYYY hh:mm", taken as UTC.
  if (text.size() == 16 && text[2] == '-' && text[5] == '-' && text[10] == ' ' && text[13] == ':') {
    std::string iso = std::string(text.substr(6, 4)) + "-" + std::string(text.substr(3, 2)) + "-" +
                      std::string(text.substr(0, 2)) + "T" + std::string(text.substr(11, 5)) +
                      ":00";
    return date_time(iso);
  }
  if (text.size() == 10) return date_time(std::string(text) + "T00:00:00");
  // An offset: the local time minus the offset is UTC.
  int off_h = 0, off_m = 0;
  if (text.size() != 25 || (text[19] != '+' && text[19] != '-') || text[22] != ':' ||
      !digits(text, 20, 2, off_h) || !digits(text, 23, 2, off_m) || off_h > 14 || off_m > 59) {
    return std::nullopt;
  }
  auto local = date_time(text.substr(0, 19));
  if (!local) return std::nullopt;
  int64_t offset = (off_h * 3600 + off_m * 60) * (text[19] == '+' ? 1 : -1);
  return *local - offset;
}

}  // namespace trust
