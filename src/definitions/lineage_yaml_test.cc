#include "lineage_yaml.h"

#include <gtest/gtest.h>

#include "featherstone/definitions/yaml_reader.h"

namespace fst::definitions {
namespace {

Result<LineageSettings> Read(const std::string& text) {
  return internal::ReadLineageYaml(YAML::Load(text)["lineage"], "featherstone.yaml");
}

TEST(LineageYamlTest, WithoutTheKeyTheFileSinkIsOn) {
  auto repo = ParseYaml("project: shop\n", "featherstone.yaml");
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(repo->lineage.file, ".featherstone/lineage.jsonl");
  EXPECT_EQ(repo->lineage.http, "");
}

TEST(LineageYamlTest, OnlyTheSinksGivenAreUsed) {
  auto none = Read("lineage: none");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->file, "");
  EXPECT_EQ(none->http, "");
  auto http = Read("lineage: {http: http://localhost:5000}");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->file, "");
  EXPECT_EQ(http->http, "http://localhost:5000");
  EXPECT_EQ(http->http_location.ToString(), "featherstone.yaml:1:17");
  auto both = Read("lineage:\n  file: out/l.jsonl\n  http: http://m/api/v1/lineage\n");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->file, "out/l.jsonl");
  EXPECT_EQ(both->http, "http://m/api/v1/lineage");
}

TEST(LineageYamlTest, WrongValuesAreRefusedWhereTheyAreWritten) {
  const std::pair<const char*, const char*> cases[] = {
      {"lineage: off", "featherstone.yaml:1:10: 'lineage' is 'off'; expected `none` or a map"},
      {"lineage: [a]", "featherstone.yaml:1:10: 'lineage' is a list;"},
      {"lineage: {}", "featherstone.yaml:1:10: 'lineage' is a map without sinks"},
      {"lineage: {htp: x}", "featherstone.yaml:1:11: unknown key 'htp' in 'lineage'; did you "
                            "mean 'http'? (allowed: file, http)"},
      {"lineage: {file: x, file: y}", "featherstone.yaml:1:20: duplicate key 'file'"},
      {"lineage: {http: }", "featherstone.yaml:1:11: 'lineage.http' must be a non-empty string "
                            "(a URL), got nothing"},
  };
  for (const auto& [text, message] : cases) {
    auto read = Read(text);
    ASSERT_FALSE(read.ok()) << text;
    EXPECT_NE(read.status().message().find(message), std::string::npos)
        << text << "\n" << read.status().message();
  }
}

TEST(LineageYamlTest, TheSettingBelongsToFeatherstoneYamlAndIsCheckedWhenSettingsLoad) {
  auto repo = ParseYaml("project: shop\nlineage: nope\n", "featherstone.yaml");
  ASSERT_FALSE(repo.ok());
  EXPECT_NE(repo.status().message().find("featherstone.yaml:2:10"), std::string::npos);
}

}  // namespace
}  // namespace fst::definitions
