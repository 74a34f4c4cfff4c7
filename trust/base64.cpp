#include "trust/base64.h"

#include <array>
#include <cstdint>

namespace trust {
namespace {

constexpr unsigned char kSkip = 0xFE, kBad = 0xFF, kPad = 0xFD;
constexpr auto kBase64 = [] {
  std::array<unsigned char, 256> t{};
  t.fill(kBad);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (unsigned char i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  t[' '] = t['\t'] = t['\r'] = t['\n'] = kSkip;
  t['='] = kPad;
  return t;
}();

}  // namespace

bool decode_base64(std::string_view body, std::string& out) {
  out.resize(body.size() * 3 / 4 + 3);
  char* w = out.data();
  uint32_t acc = 0;
  int have = 0, pad = 0;
  for (unsigned char c : body) {
    unsigned char v = kBase64[c];
    if (v == kSkip) continue;
    if (v == kBad) return false;
    if (v == kPad) {
      ++pad;
      v = 0;
    } else if (pad) {
      return false;  // data after padding
    }
    acc = (acc << 6) | v;
    if (++have == 4) {
      *w++ = static_cast<char>(acc >> 16);
      *w++ = static_cast<char>(acc >> 8);
      *w++ = static_cast<char>(acc);
      acc = 0;
      have = 0;
    }
  }
  size_t n = static_cast<size_t>(w - out.data());
  if (have != 0 || pad > 2 || n == 0) return false;
  out.resize(n - static_cast<size_t>(pad));
  return true;
}

}  // namespace trust
