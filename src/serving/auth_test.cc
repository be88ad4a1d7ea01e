#include "featherstone/serving/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fst::serving {
namespace {

std::string TempPath(const std::string& name) {
  const char* root = std::getenv("FST_TEST_TMP");
  std::filesystem::path dir = root != nullptr ? root : std::filesystem::temp_directory_path();
  dir /= "serving_auth_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(TokenSet, LoadSkipsCommentsAndBlanks) {
  const std::string path = TempPath("tokens");
  std::ofstream(path) << "# serving tokens\n\n  alpha  \r\nbeta\n#gamma\n";
  auto tokens = TokenSet::Load(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(tokens->size(), 2u);
  EXPECT_EQ(tokens->Check("Bearer alpha"), AuthResult::kAllowed);
  EXPECT_EQ(tokens->Check("Bearer beta"), AuthResult::kAllowed);
  EXPECT_EQ(tokens->Check("Bearer gamma"), AuthResult::kWrong);
  EXPECT_EQ(tokens->Check("Bearer alph"), AuthResult::kWrong);
  EXPECT_EQ(tokens->Check(""), AuthResult::kMissing);
  EXPECT_EQ(tokens->Check("Basic YWxwaGE="), AuthResult::kMissing);
}

TEST(TokenSet, EmptyOrMissingFileIsAnError) {
  const std::string path = TempPath("empty_tokens");
  std::ofstream(path) << "# nothing\n";
  EXPECT_TRUE(TokenSet::Load(path).status().IsInvalid());
  EXPECT_TRUE(TokenSet::Load(TempPath("absent")).status().IsIOError());
}

TEST(BindPolicy, LoopbackOnlyWithoutTokens) {
  EXPECT_TRUE(CheckBindPolicy("127.0.0.1", false, false).ok());
  EXPECT_TRUE(CheckBindPolicy("localhost", false, false).ok());
  EXPECT_TRUE(CheckBindPolicy("::1", false, false).ok());
  const Status refused = CheckBindPolicy("0.0.0.0", false, false);
  ASSERT_TRUE(refused.IsInvalid());
  EXPECT_NE(refused.message().find("--token-file"), std::string::npos);
  EXPECT_NE(refused.message().find("--allow-unauthenticated"), std::string::npos);
  EXPECT_TRUE(CheckBindPolicy("0.0.0.0", true, false).ok());
  EXPECT_TRUE(CheckBindPolicy("0.0.0.0", false, true).ok());
}

}  // namespace
}  // namespace fst::serving
