#include "trust/safe_text.h"

#include <openssl/asn1.h>

#include <cstdio>

namespace trust {
namespace {

bool is_control_or_format(unsigned long cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
         cp == 0x200f || cp == 0x061c || cp == 0xfeff;
}

void append_byte_escape(std::string& out, unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", byte);
  out += buf;
}

void append_code_point_escape(std::string& out, unsigned long cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\u{%04lx}", cp);
  out += buf;
}

// Calls emit(piece) for each character's output: the character itself or its escape.
template <class Emit>
void for_each_printable(std::string_view raw, Emit&& emit) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  size_t left = raw.size();
  std::string piece;
  while (left > 0) {
    piece.clear();
    unsigned long cp = 0;
    // OpenSSL's decoder refuses overlong forms, surrogates and code points past U+10FFFF.
    int used = *p < 0x80 ? 1 : UTF8_getc(p, static_cast<int>(left < 8 ? left : 8), &cp);
    if (*p < 0x80) cp = *p;
    if (used > 0 && (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) used = 0;
    if (used <= 0) {
      append_byte_escape(piece, *p);
      used = 1;
    } else if (is_control_or_format(cp)) {
      if (cp < 0x80) {
        append_byte_escape(piece, static_cast<unsigned char>(cp));
      } else {
        append_code_point_escape(piece, cp);
      }
    } else {
      piece.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(used));
    }
    emit(piece);
    p += used;
    left -= static_cast<size_t>(used);
  }
}

}  // namespace

std::string printable_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for_each_printable(raw, [&](const std::string& piece) { out += piece; });
  return out;
}

std::string pem_comment_text(std::string_view raw, size_t max_bytes) {
  constexpr std::string_view kCut = "...";
  std::string out;
  int dashes = 0;
  bool cut = false;
  for_each_printable(raw, [&](const std::string& piece) {
    if (cut) return;
    std::string next = piece;
    if (piece == "-") {
      if (++dashes == 5) {
        next = "\\x2d";
        dashes = 0;
      }
    } else {
      dashes = 0;
    }
    if (out.size() + next.size() > max_bytes - kCut.size()) {
      cut = true;
      return;
    }
    out += next;
  });
  if (cut) out += kCut;
  return out;
}

}  // namespace trust
