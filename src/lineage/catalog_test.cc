#include "featherstone/lineage/catalog.h"

#include <filesystem>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::lineage {
namespace {

constexpr char kRepo[] = R"(project: shop
entities:
  - {name: customer, join_keys: [customer_id], description: A buying customer, owner: crm}
sources:
  - name: orders
    timestamp_field: event_ts
    description: Orders placed in the web shop
    owner: data-eng
    tags: [orders, billing]
    schema:
      - {name: customer_id, type: int64}
      - {name: amount, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    description: Spending habits of each customer
    owner: growth
    tags: [spend]
    labels: {tier: gold}
    features:
      - {name: amount, description: Amount of the latest order in euros}
      - {name: orders_30d, agg: count, window: 30d, description: Orders in the last 30 days,
         tags: [orders]}
  - name: amount
    entities: [customer]
    source: orders
    features:
      - {name: total, agg: sum, column: amount, window: 1d, description: Daily amount spent}
feature_services:
  - {name: churn_model, features: ["customer_features:orders_30d"], owner: ml,
     description: Predicts churn from order habits, tags: [churn]}
)";

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("catalog_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto opened = registry::Registry::Open((dir_ / "registry.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    registry_ = std::move(*opened);
  }
  void TearDown() override {
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Apply(const std::string& yaml) {
    auto repo = definitions::ParseYaml(yaml, "featherstone.yaml");
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    ASSERT_TRUE(registry_->Apply(definitions::ToSpecObjects(*repo)).ok());
  }
  std::vector<std::string> Search(CatalogQuery query) {
    auto result = SearchCatalog(*registry_, query);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<std::string> names;
    if (!result.ok()) return names;
    for (const auto& hit : result->hits) names.push_back(hit.entry.kind + " " + hit.entry.name);
    return names;
  }

  std::filesystem::path dir_;
  std::unique_ptr<registry::Registry> registry_;
};

TEST(FtsQuery, WordsBecomeRequiredQuotedPrefixes) {
  EXPECT_EQ(FtsQuery("Order value"), "\"order\"* \"value\"*");
  EXPECT_EQ(FtsQuery("customer_features:amount"), "\"customer\"* \"features\"* \"amount\"*");
  EXPECT_EQ(FtsQuery("\" OR NEAR( *"), "\"or\"* \"near\"*");
  EXPECT_EQ(FtsQuery("  -- "), "");
}

TEST_F(CatalogTest, ExactNameRanksFirst) {
  Apply(kRepo);
  // "amount" is a view's name, a feature's own name, and a word in other descriptions.
  const auto names = Search({.text = "amount"});
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.begin() + 2),
            (std::set<std::string>{"feature customer_features:amount", "feature_view amount"}));
  EXPECT_EQ(names[2], "feature amount:total");
  auto result = SearchCatalog(*registry_, {.text = "amount"});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->hits[0].exact_name);
  EXPECT_TRUE(result->hits[1].exact_name);
  EXPECT_FALSE(result->hits[2].exact_name);
}

TEST_F(CatalogTest, FindsAFeatureByAWordOfItsDescription) {
  Apply(kRepo);
  EXPECT_EQ(Search({.text = "euros"}),
            (std::vector<std::string>{"feature customer_features:amount"}));
  // Prefixes and every word required.
  EXPECT_EQ(Search({.text = "spend habit"}),
            (std::vector<std::string>{"feature_view customer_features"}));
  // A word of a name, of a tag or of a description.
  EXPECT_EQ(Search({.text = "orders", .kind = "feature"}),
            (std::vector<std::string>{"feature customer_features:orders_30d"}));
  EXPECT_EQ(Search({.text = "gold"}),
            (std::vector<std::string>{"feature_view customer_features"}));
}

TEST_F(CatalogTest, TagOwnerAndKindFilters) {
  Apply(kRepo);
  EXPECT_EQ(Search({.tag = "orders"}),
            (std::vector<std::string>{"feature customer_features:orders_30d", "source orders"}));
  EXPECT_EQ(Search({.owner = "GROWTH", .kind = "feature"}),
            (std::vector<std::string>{"feature customer_features:amount",
                                      "feature customer_features:orders_30d"}));
  EXPECT_EQ(Search({.text = "churn", .owner = "ml"}),
            (std::vector<std::string>{"feature_service churn_model"}));
  EXPECT_TRUE(Search({.text = "churn", .owner = "growth"}).empty());
  EXPECT_EQ(Search({.limit = 2}).size(), 2u);
  EXPECT_EQ(Search({.limit = 0}).size(), 8u);

  auto bad = SearchCatalog(*registry_, {.kind = "table"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown kind 'table'; expected entity, source, feature_view, "
            "on_demand_feature_view, feature_service or feature");
}

TEST_F(CatalogTest, NoMatchNamesTheTextAndTheClosestName) {
  Apply(kRepo);
  CatalogQuery query{.text = "custmer_features"};
  auto result = SearchCatalog(*registry_, query);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->hits.empty());
  EXPECT_EQ(NoMatchMessage(query, *result),
            "no object matches 'custmer_features'; did you mean 'customer_features'?");
  query = {.text = "zebra", .tag = "spend"};
  result = SearchCatalog(*registry_, query);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(NoMatchMessage(query, *result), "no object matches 'zebra' (tag spend)");
}

TEST_F(CatalogTest, JsonRowsInRankOrder) {
  Apply(kRepo);
  auto result = SearchCatalog(*registry_, {.text = "churn"});
  ASSERT_TRUE(result.ok());
  const auto rows = CatalogJson(*result);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["kind"], "feature_service");
  EXPECT_EQ(rows[0]["name"], "churn_model");
  EXPECT_EQ(rows[0]["owner"], "ml");
  EXPECT_EQ(rows[0]["tags"], nlohmann::ordered_json({"churn"}));
  EXPECT_EQ(rows[0]["exact_name"], false);
  EXPECT_LT(rows[0]["score"].get<double>(), 0);
}

// Many objects: the hits of a word are exactly the features whose description or tags hold it
// (a naive scan of the definitions), and the exact name comes first.
TEST_F(CatalogTest, ManyObjectsAgreeWithANaiveScan) {
  std::mt19937 random(7);
  const std::vector<std::string> words = {"revenue", "clicks", "session", "refund", "basket"};
  std::string view = "  - name: many\n    entities: [customer]\n    source: orders\n"
                     "    features:\n";
  std::set<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    const std::string word = words[random() % words.size()];
    const std::string tag = words[random() % words.size()];
    const std::string name = "f" + std::to_string(i);
    view += "      - {name: " + name + ", agg: count, window: 1d, description: Count of " + word +
            " events, tags: [" + tag + "]}\n";
    if (word == "refund" || tag == "refund") expected.insert("feature many:" + name);
  }
  view += "      - {name: refund, agg: count, window: 1d}\n";
  std::string yaml = kRepo;
  yaml.insert(yaml.find("feature_services:"), view);
  Apply(yaml);

  const auto names = Search({.text = "refund", .limit = 0});
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0], "feature many:refund");
  EXPECT_EQ(std::set<std::string>(names.begin() + 1, names.end()), expected);
  EXPECT_EQ(names.size(), expected.size() + 1);
  EXPECT_EQ(Search({.text = "refund"}).size(), 20u);  // the default limit
}

}  // namespace
}  // namespace fst::lineage
