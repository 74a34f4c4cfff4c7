#include "trust/safe_text.h"

#include <gtest/gtest.h>

namespace {

using trust::pem_comment_text;
using trust::printable_text;

TEST(SafeText, PrintableTextEscapesControlsSeparatorsAndInvalidBytes) {
  EXPECT_EQ(printable_text("CN=plain, O=caf\xc3\xa9"), "CN=plain, O=caf\xc3\xa9");
  EXPECT_EQ(printable_text("a\nb\tc\x7f"), "a\\x0ab\\x09c\\x7f");
  EXPECT_EQ(printable_text("caf\xe9"), "caf\\xe9");              // Latin-1, not UTF-8
  EXPECT_EQ(printable_text("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable_text("x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xa9"),
            "x\\u{0085}y\\u{2028}z\\u{2029}");
  EXPECT_EQ(printable_text("\xe2\x80\xae"
                           "evil"),
            "\\u{202e}evil");                                   // right-to-left override
  EXPECT_EQ(printable_text("tail\xe2\x80"), "tail\\xe2\\x80");  // cut in the middle of a character
}

TEST(SafeText, PemCommentTextBreaksEveryFiveDashRunAndStaysShort) {
  EXPECT_EQ(pem_comment_text("-----BEGIN CERTIFICATE-----"), "----\\x2dBEGIN CERTIFICATE----\\x2d");
  EXPECT_EQ(pem_comment_text("a--b----c"), "a--b----c");
  EXPECT_EQ(pem_comment_text("----------").find("-----"), std::string::npos);
  std::string long_name(1000, 'A');
  std::string cut = pem_comment_text(long_name);
  EXPECT_LE(cut.size(), trust::kMaxCommentText);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  // The cut never splits a character: the result is still valid UTF-8.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "\xc3\xa9";
  std::string wide_cut = pem_comment_text(wide);
  EXPECT_EQ(printable_text(wide_cut), wide_cut);
}

}  // namespace
