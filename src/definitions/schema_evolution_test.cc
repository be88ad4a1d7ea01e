#include "featherstone/definitions/schema_evolution.h"

#include <string>

#include <gtest/gtest.h>

#include "featherstone/definitions/yaml_reader.h"

namespace fst::definitions {
namespace {

std::string RepoYaml(const std::string& columns, const std::string& features) {
  return "project: shop\n"
         "entities:\n  - {name: customer, join_keys: [customer_id]}\n"
         "sources:\n  - name: orders\n    timestamp_field: event_ts\n    schema:\n" +
         columns +
         "feature_views:\n  - name: cf\n    entities: [customer]\n    source: orders\n"
         "    features:\n" +
         features;
}

constexpr char kColumns[] =
    "      - {name: customer_id, type: int32}\n"
    "      - {name: qty, type: int32}\n"
    "      - {name: amount, type: float32}\n"
    "      - {name: note, type: string}\n"
    "      - {name: event_ts, type: timestamp}\n";
constexpr char kFeatures[] =
    "      - {name: qty}\n"
    "      - {name: total, agg: sum, column: amount, window: 7d}\n"
    "      - {name: per_item, expr: \"amount / qty\"}\n";

Repo Load(const std::string& yaml) {
  auto repo = ParseYaml(yaml, "featherstone.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status();
  return repo.ok() ? *repo : Repo{};
}

EvolutionCheck Check(const std::string& columns, const std::string& features,
                     bool data = true) {
  return CheckSchemaEvolution(Load(RepoYaml(kColumns, kFeatures)), Load(RepoYaml(columns, features)),
                              [data](const std::string&) { return data; });
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(SchemaEvolution, WideningAndNullableAdditionsAreAccepted) {
  std::string columns = Replace(kColumns, "{name: qty, type: int32}", "{name: qty, type: int64}");
  columns = Replace(columns, "{name: amount, type: float32}", "{name: amount, type: float64}");
  columns = Replace(columns, "{name: customer_id, type: int32}",
                    "{name: customer_id, type: int64}");
  columns += "      - {name: discount, type: float64}\n";
  const auto check = Check(columns, std::string(kFeatures) + "      - {name: discount}\n");
  EXPECT_TRUE(check.refused.empty()) << check.refused[0];
  ASSERT_EQ(check.notes.size(), 4u);
  EXPECT_EQ(check.notes[0],
            "source 'orders': column 'customer_id' widens int32 -> int64; old files are cast when "
            "read");
  EXPECT_EQ(check.notes[3], "source 'orders': column 'discount' is added; old files read it as nulls");
  EXPECT_TRUE(IsWidening(core::ValueType::kInt64, core::ValueType::kFloat64));
  EXPECT_TRUE(IsWidening(core::ValueType::kInt32, core::ValueType::kFloat64));
  EXPECT_FALSE(IsWidening(core::ValueType::kFloat64, core::ValueType::kFloat32));
  EXPECT_FALSE(IsWidening(core::ValueType::kInt64, core::ValueType::kInt32));
  EXPECT_FALSE(IsWidening(core::ValueType::kInt32, core::ValueType::kFloat32));
}

TEST(SchemaEvolution, RemovingOrRenamingAUsedColumnIsRefusedNamingTheFeatures) {
  const std::string columns = Replace(kColumns, "{name: amount, type: float32}",
                                      "{name: amount_usd, type: float32}");
  std::string features = Replace(kFeatures, "column: amount,", "column: amount_usd,");
  features = Replace(features, "amount / qty", "amount_usd / qty");
  const auto check = Check(columns, features);
  ASSERT_EQ(check.refused.size(), 1u);
  EXPECT_EQ(check.refused[0],
            "source 'orders': column 'amount' is removed or renamed, but feature cf:total and "
            "feature cf:per_item use it (old files hold it under this name); keep the column, "
            "or remove what uses it in the same apply");
}

TEST(SchemaEvolution, JoinKeysAndTimestampsCountAsUses) {
  const std::string columns = Replace(kColumns, "      - {name: customer_id, type: int32}\n",
                                      "      - {name: customer, type: int32}\n");
  auto check = CheckSchemaEvolution(
      Load(RepoYaml(kColumns, kFeatures)),
      Load(Replace(RepoYaml(columns, kFeatures), "join_keys: [customer_id]", "join_keys: [customer]")),
      [](const std::string&) { return true; });
  ASSERT_EQ(check.refused.size(), 1u);
  EXPECT_EQ(check.refused[0],
            "source 'orders': column 'customer_id' is removed or renamed, but join key "
            "'customer_id' of feature_view cf uses it (old files hold it under this name); keep "
            "the column, or remove what uses it in the same apply");
}

TEST(SchemaEvolution, NarrowingIsRefusedWhenReadAndNotedWhenNot) {
  std::string columns = Replace(kColumns, "{name: qty, type: int32}", "{name: qty, type: string}");
  auto check = Check(columns, kFeatures);
  ASSERT_EQ(check.refused.size(), 1u);
  EXPECT_EQ(check.refused[0],
            "source 'orders': column 'qty' changes int32 -> string, but feature cf:qty and "
            "feature cf:per_item use it; only widening is accepted (int32 -> int64 -> float64, "
            "float32 -> float64)");
  columns = Replace(kColumns, "{name: note, type: string}", "{name: note, type: int64}");
  check = Check(columns, kFeatures);
  EXPECT_TRUE(check.refused.empty());
  EXPECT_EQ(check.notes[0], "source 'orders': column 'note' changes string -> int64; no feature "
                            "reads it");
}

TEST(SchemaEvolution, DroppingAColumnWithItsFeatureIsAccepted) {
  const std::string columns = Replace(kColumns, "      - {name: qty, type: int32}\n", "");
  const auto check = Check(columns, "      - {name: total, agg: sum, column: amount, window: 7d}\n");
  EXPECT_TRUE(check.refused.empty()) << check.refused[0];
  EXPECT_EQ(check.notes[0],
            "source 'orders': column 'qty' is removed; no feature reads it, old files keep it "
            "unread");
}

TEST(SchemaEvolution, NonNullableAdditionsNeedAnEmptySource) {
  const std::string columns = std::string(kColumns) +
                              "      - {name: channel, type: string, nullable: false}\n";
  auto check = Check(columns, kFeatures, /*data=*/true);
  ASSERT_EQ(check.refused.size(), 1u);
  EXPECT_EQ(check.refused[0],
            "source 'orders': column 'channel' is added with nullable: false, but files already "
            "ingested have no values for it; declare it nullable: true");
  check = Check(columns, kFeatures, /*data=*/false);
  EXPECT_TRUE(check.refused.empty());
}

}  // namespace
}  // namespace fst::definitions
