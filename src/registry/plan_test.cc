#include "plan.h"

#include <gtest/gtest.h>

namespace fst::registry {
namespace {

using definitions::SpecObject;
using nlohmann::json;

SpecObject Object(const std::string& kind, const std::string& name, json spec) {
  spec["name"] = name;
  SpecObject object{kind, name, std::move(spec), ""};
  object.hash = SpecHash(object);
  return object;
}

TEST(DescribeChange, ScalarsShowOldAndNewValues) {
  const json before = {{"name", "v"}, {"ttl", "30d"}, {"online", true}, {"features", {1, 2}}};
  json after = before;
  after["ttl"] = "7d";
  after["online"] = false;
  after["features"] = {1, 3};
  EXPECT_EQ(DescribeChange(before, after),
            "features changed; online: true -> false; ttl: 30d -> 7d");
}

TEST(DescribeChange, NamesTheItemsOfNamedListsThatDiffer) {
  const json before = {{"features", {{{"name", "a"}, {"expr", "x"}}, {{"name", "b"}}}},
                       {"schema", {{{"name", "k"}, {"type", "int64"}}}}};
  json after = before;
  after["features"] = {{{"name", "a"}, {"expr", "x * 2"}}, {{"name", "c"}}};
  after["schema"] = {{{"name", "k"}, {"type", "int64"}}, {{"name", "ts"}, {"type", "timestamp"}}};
  EXPECT_EQ(DescribeChange(before, after),
            "feature a changed; feature c added; feature b removed; column ts added");
  after = before;
  after["features"] = {before["features"][1], before["features"][0]};
  EXPECT_EQ(DescribeChange(before, after), "features reordered");
}

TEST(DescribeChange, QuotesStringsThatAreNotPlainTokens) {
  EXPECT_EQ(DescribeChange({{"description", ""}}, {{"description", "A buying customer"}}),
            R"(description: "" -> "A buying customer")");
  EXPECT_EQ(DescribeChange({{"a", 1}}, {{"b", 1}}), "a removed; b added");
  EXPECT_EQ(DescribeChange({{"a", 1}}, {{"a", 1}}), "");
}

TEST(ComputeChanges, AddChangeRemoveInKindThenNameOrder) {
  const std::vector<SpecObject> current = {Object("feature_view", "v", {{"ttl", "30d"}}),
                                           Object("entity", "old", {}),
                                           Object("source", "orders", {{"format", "csv"}})};
  const std::vector<SpecObject> desired = {Object("feature_view", "v", {{"ttl", "7d"}}),
                                           Object("source", "orders", {{"format", "csv"}}),
                                           Object("feature_service", "s", {}),
                                           Object("entity", "customer", {})};
  auto changes = ComputeChanges(current, desired);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 4u);
  auto text = [](const Change& c) {
    return std::string(OpName(c.op)) + " " + c.kind + " " + c.name;
  };
  EXPECT_EQ(text((*changes)[0]), "add entity customer");
  EXPECT_EQ(text((*changes)[1]), "remove entity old");
  EXPECT_EQ(text((*changes)[2]), "change feature_view v");
  EXPECT_EQ((*changes)[2].detail, "ttl: 30d -> 7d");
  EXPECT_EQ(text((*changes)[3]), "add feature_service s");
}

TEST(ComputeChanges, ComparesRecomputedHashes) {
  const std::vector<SpecObject> current = {Object("entity", "customer", {{"a", 1}})};
  std::vector<SpecObject> desired = current;
  desired[0].hash = "stale";
  auto changes = ComputeChanges(current, desired);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_TRUE(changes->empty());
}

TEST(ComputeChanges, RejectsDuplicatesAndUnknownKinds) {
  auto duplicate = ComputeChanges({}, {Object("entity", "c", {}), Object("entity", "c", {})});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().message(), "entity 'c' is defined twice");
  auto unknown = ComputeChanges({}, {Object("model", "m", {})});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "unknown kind 'model' of 'm'");
}

}  // namespace
}  // namespace fst::registry
