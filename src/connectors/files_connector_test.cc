#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "files_internal.h"
#include "test_util.h"

namespace fst::connectors::internal {
namespace {

TEST(GlobMatch, StarStaysInASegment) {
  EXPECT_TRUE(GlobMatch("docs/*.md", "docs/a.md"));
  EXPECT_FALSE(GlobMatch("docs/*.md", "docs/sub/a.md"));
  EXPECT_FALSE(GlobMatch("docs/*.md", "docs/a.mdx"));
  EXPECT_TRUE(GlobMatch("docs/*", "docs/.hidden"));
  EXPECT_TRUE(GlobMatch("d?cs/[ab]*.t[!y]t", "docs/b1.txt"));
  EXPECT_FALSE(GlobMatch("docs/[ab]*.txt", "docs/c1.txt"));
  EXPECT_TRUE(GlobMatch("docs/[a-c]1.txt", "docs/c1.txt"));
  EXPECT_TRUE(GlobMatch("docs/[x", "docs/[x"));  // an unclosed '[' is literal
}

TEST(GlobMatch, DoubleStarSpansDirectories) {
  EXPECT_TRUE(GlobMatch("docs/**/*.md", "docs/a.md"));  // zero directories
  EXPECT_TRUE(GlobMatch("docs/**/*.md", "docs/x/y/z/a.md"));
  EXPECT_FALSE(GlobMatch("docs/**/*.md", "other/a.md"));
  EXPECT_TRUE(GlobMatch("**", "a/b/c"));
  EXPECT_TRUE(GlobMatch("**/b/*", "a/b/c"));
  EXPECT_FALSE(GlobMatch("**/b/*", "a/b/c/d"));
}

// The reference: every file under `dir` whose relative path GlobMatch accepts.
TEST(ListGlob, ListsMatchingFilesSortedAndSkipsTheRegistry) {
  const std::filesystem::path root = testing::TestDir();
  for (const char* name : {"docs/b.md", "docs/a.md", "docs/sub/c.md", "docs/sub/d.txt",
                           "docs/.featherstone/e.md", "top.md"}) {
    std::filesystem::create_directories((root / name).parent_path());
    std::ofstream(root / name) << "x";
  }
  auto listed = ListGlob(root.string(), "docs/**/*.md");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> names;
  for (const auto& file : *listed) names.push_back(file.name);
  EXPECT_EQ(names, (std::vector<std::string>{"docs/a.md", "docs/b.md", "docs/sub/c.md"}));
  EXPECT_EQ((*listed)[0].full, root.string() + "/docs/a.md");
  auto absolute = ListGlob("/elsewhere", root.string() + "/docs/*.md");
  ASSERT_TRUE(absolute.ok()) << absolute.status().ToString();
  ASSERT_EQ(absolute->size(), 2u);
  EXPECT_EQ((*absolute)[1].name, root.string() + "/docs/b.md");
  EXPECT_EQ((*absolute)[1].full, root.string() + "/docs/b.md");
  auto one = ListGlob(root.string(), "top.md");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  auto none = ListGlob(root.string(), "missing/**/*.md");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MediaType, MagicBytesBeforeExtension) {
  EXPECT_EQ(MediaType("a.md", "%PDF-1.7", true), "application/pdf");
  EXPECT_EQ(MediaType("a.bin", std::string_view("\x89PNG\r\n\x1a\n\0\0", 10), false),
            "image/png");
  EXPECT_EQ(MediaType("a", "\xff\xd8\xff\xe0", false), "image/jpeg");
  EXPECT_EQ(MediaType("a", "RIFF\x10\0\0\0WEBPVP8 ", false), "application/octet-stream");
  EXPECT_EQ(MediaType("a", std::string_view("RIFF\x10\0\0\0WEBPVP8 ", 16), false), "image/webp");
  EXPECT_EQ(MediaType("a.zip", "PK\x03\x04", false), "application/zip");
}

TEST(MediaType, ExtensionThenContent) {
  EXPECT_EQ(MediaType("docs/Guide.MD", "# Guide", true), "text/markdown");
  EXPECT_EQ(MediaType("x.json", "{}", true), "application/json");
  EXPECT_EQ(MediaType("notes", "hello", true), "text/plain");
  EXPECT_EQ(MediaType("blob", "\x80\x81", false), "application/octet-stream");
}

}  // namespace
}  // namespace fst::connectors::internal
