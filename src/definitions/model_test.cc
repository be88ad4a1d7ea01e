#include "featherstone/definitions/model.h"

#include <gtest/gtest.h>

namespace fst::definitions {
namespace {

template <typename T>
T Named(const std::string& name) {
  T item;
  item.name = name;
  return item;
}

Entity MakeEntity(const std::string& name, std::vector<std::string> join_keys) {
  Entity entity = Named<Entity>(name);
  entity.join_keys = std::move(join_keys);
  return entity;
}

TEST(Location, ToString) {
  EXPECT_EQ((Location{"featherstone.yaml", 12, 7}).ToString(), "featherstone.yaml:12:7");
  EXPECT_EQ(Location{}.ToString(), "");
}

TEST(ParseFeatureRef, ViewAndFeature) {
  auto ref = ParseFeatureRef("customer_features:amount");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->view, "customer_features");
  EXPECT_EQ(ref->feature, "amount");
  EXPECT_EQ(ref->ToString(), "customer_features:amount");
}

TEST(ParseFeatureRef, RejectsMalformed) {
  for (const char* text : {"amount", ":amount", "view:", "a:b:c", ""}) {
    auto ref = ParseFeatureRef(text);
    ASSERT_FALSE(ref.ok()) << text;
    EXPECT_TRUE(ref.status().IsInvalid());
    EXPECT_NE(ref.status().message().find("'" + std::string(text) + "'"), std::string::npos);
  }
}

TEST(Repo, FindByName) {
  Repo repo;
  repo.entities.push_back(Named<Entity>("customer"));
  repo.sources.push_back(Named<Source>("orders"));
  repo.feature_views.push_back(Named<FeatureView>("customer_features"));
  repo.feature_services.push_back(Named<FeatureService>("churn_model"));
  EXPECT_EQ(repo.FindEntity("customer"), &repo.entities[0]);
  EXPECT_EQ(repo.FindSource("orders"), &repo.sources[0]);
  EXPECT_EQ(repo.FindView("customer_features"), &repo.feature_views[0]);
  EXPECT_EQ(repo.FindService("churn_model"), &repo.feature_services[0]);
  EXPECT_EQ(repo.FindEntity("orders"), nullptr);
  EXPECT_EQ(repo.FindView("churn_model"), nullptr);
}

TEST(JoinKeys, InEntityOrderWithoutDuplicates) {
  Repo repo;
  repo.entities.push_back(MakeEntity("customer", {"customer_id"}));
  repo.entities.push_back(MakeEntity("store", {"store_id", "customer_id"}));
  FeatureView view = Named<FeatureView>("v");
  view.entities = {"store", "customer"};
  EXPECT_EQ(JoinKeys(repo, view), (std::vector<std::string>{"store_id", "customer_id"}));
}

}  // namespace
}  // namespace fst::definitions
