#include "trust/fingerprint.h"

#include <gtest/gtest.h>

namespace trust {
namespace {

constexpr const char* kHex256 = "9a6ec012e1a7da9dbe34194d478ad7c0db1822fb071df12981496ed104384113";

TEST(Fingerprint, AcceptsEveryCommonSpellingOfSha256) {
  for (std::string text : {std::string(kHex256), std::string("SHA256:") + kHex256,
                           std::string("sha256 Fingerprint=9A:6E:C0:12:E1:A7:DA:9D:BE:34:19:4D:47:"
                                       "8A:D7:C0:DB:18:22:FB:07:1D:F1:29:81:49:6E:D1:04:38:41:13"),
                           std::string("  ") + kHex256 + "\n"}) {
    auto fp = parse_fingerprint(text);
    ASSERT_TRUE(fp) << text << ": " << fp.error().message;
    EXPECT_EQ(fp->algorithm, Fingerprint::Algorithm::kSha256);
    EXPECT_EQ(fp->hex, kHex256);
  }
}

TEST(Fingerprint, RecognisesSha1ByLength) {
  auto fp = parse_fingerprint("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01");
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->algorithm, Fingerprint::Algorithm::kSha1);
  EXPECT_EQ(fp->hex, "abcdef0123456789abcdef0123456789abcdef01");
}

TEST(Fingerprint, RejectsWrongLengthAndGarbageWithReason) {
  auto short_fp = parse_fingerprint("abcd");
  ASSERT_FALSE(short_fp);
  EXPECT_EQ(short_fp.error().code, Code::kBadInput);
  EXPECT_NE(short_fp.error().message.find("got 4"), std::string::npos);
  auto garbage = parse_fingerprint(std::string(kHex256).replace(3, 1, "z"));
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("'z'"), std::string::npos);
}

TEST(Fingerprint, RejectsPrefixThatContradictsLength) {
  EXPECT_FALSE(parse_fingerprint(std::string("sha1:") + kHex256));
}

TEST(Fingerprint, HexOfKnownDigest) {
  EXPECT_EQ(to_hex(sha256_of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha1_of("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace trust
