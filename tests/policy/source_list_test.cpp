#include "policy/source_list.h"

#include <gtest/gtest.h>

namespace policy {
namespace {

TEST(SourceList, AgentFilesFirstThenCaFilesInOrderOnce) {
  auto layout = trust::Layout::at("/h");
  auto list = build_source_list(layout, {"/etc/b.pem", "/etc/a.pem", "/etc/b.pem"});
  ASSERT_TRUE(list);
  std::vector<std::string> paths;
  for (const auto& s : *list) paths.push_back(s.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/h/etc/cainfo.pem", "/h/etc/cainfo-ss.pem",
                                      "/h/etc/cainfo-reserve.pem", "/etc/b.pem", "/etc/a.pem"}));
  EXPECT_EQ((*list)[0].display, "cainfo.pem");
  EXPECT_EQ((*list)[3].display, "/etc/b.pem");
}

TEST(SourceList, RelativeCaFileIsAUsageError) {
  auto list = build_source_list(trust::Layout::at("/h"), {"ca.pem"});
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code, trust::Code::kBadInput);
  EXPECT_EQ(list.error().message, "CA file 'ca.pem' must be an absolute path");
}

TEST(SourceList, ControlCharactersInPathsAreRefused) {
  EXPECT_FALSE(build_source_list(trust::Layout::at("/h"), {"/etc/a\nb.pem"}));
}

}  // namespace
}  // namespace policy
