#include "featherstone/serving/feast_json.h"

#include <gtest/gtest.h>

#include <random>

#include "featherstone/serving/push_json.h"

namespace fst::serving {
namespace {

using nlohmann::json;

TEST(ParseOnlineRequest, FeatureServiceAndColumnMajorEntities) {
  auto r = ParseOnlineRequest(
      R"({"feature_service": "churn_model", "entities": {"customer_id": [42, 43],
          "region": ["eu", "us"]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->feature_service, "churn_model");
  EXPECT_TRUE(r->features.empty());
  ASSERT_EQ(r->entities.size(), 2u);
  EXPECT_EQ(r->entities[0], (retrieval::EntityKeyText{{"customer_id", "42"}, {"region", "eu"}}));
  EXPECT_EQ(r->entities[1], (retrieval::EntityKeyText{{"customer_id", "43"}, {"region", "us"}}));
  EXPECT_TRUE(r->requests.empty());
  EXPECT_FALSE(r->full_feature_names);
  EXPECT_FALSE(r->at.has_value());
}

TEST(ParseOnlineRequest, FeaturesRequestDataAndFlags) {
  auto r = ParseOnlineRequest(
      R"({"features": ["v:a", "w:b"], "entities": {"id": ["x", "y"]},
          "request_data": {"amount": [12.5, 3], "channel": ["web"]},
          "full_feature_names": true, "at": "2026-01-02T00:00:00Z"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->features, (std::vector<std::string>{"v:a", "w:b"}));
  ASSERT_EQ(r->requests.size(), 2u);
  EXPECT_EQ(r->requests[0], (retrieval::EntityKeyText{{"amount", "12.5"}, {"channel", "web"}}));
  EXPECT_EQ(r->requests[1], (retrieval::EntityKeyText{{"amount", "3"}, {"channel", "web"}}));
  EXPECT_TRUE(r->full_feature_names);
  ASSERT_TRUE(r->at.has_value());
  EXPECT_EQ(*r->at, 1767312000000000);
}

TEST(ScalarText, TextFormsTheEngineReads) {
  EXPECT_EQ(*ScalarText(json(42), "x"), "42");
  EXPECT_EQ(*ScalarText(json(-7), "x"), "-7");
  EXPECT_EQ(*ScalarText(json(18446744073709551615ull), "x"), "18446744073709551615");
  EXPECT_EQ(*ScalarText(json(0.1), "x"), "0.1");
  EXPECT_EQ(*ScalarText(json(1e20), "x"), "1e+20");
  EXPECT_EQ(*ScalarText(json("abc"), "x"), "abc");
  EXPECT_EQ(*ScalarText(json(true), "x"), "true");
  auto bad = ScalarText(json(nullptr), "entities.id[3]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'entities.id[3]'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("null"), std::string::npos);
}

// Each malformed body is refused with a message naming what is wrong.
TEST(ParseOnlineRequest, RequestVectorsAsJsonText) {
  auto r = ParseOnlineRequest(
      R"({"features": ["v:a"], "entities": {"id": [1, 2]}, "request_data": {"q": [[0.5, 1]]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requests[1], (retrieval::EntityKeyText{{"q", "[0.5,1]"}}));
}

TEST(ParseOnlineRequest, BadBodiesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\"features\": [\"v:a\"], \"entities\": ", "malformed JSON at byte"},
      {"[1, 2]", "must be a JSON object"},
      {R"({"entities": {"id": [1]}})", "exactly one of 'feature_service'"},
      {R"({"feature_service": "s", "features": ["v:a"], "entities": {"id": [1]}})",
       "exactly one of"},
      {R"({"feature_service": "s"})", "missing 'entities'"},
      {R"({"feature_service": "s", "entities": {}})", "no join key"},
      {R"({"feature_service": "s", "entities": [1]})", "'entities' must be an object"},
      {R"({"feature_service": "s", "entities": {"id": 1}})", "'entities.id' must be an array"},
      {R"({"feature_service": "s", "entities": {"id": [1, 2], "k": [1]}})",
       "'entities.k' has 1 values"},
      {R"({"feature_service": "s", "entities": {"id": [[1]]}})", "'entities.id[0]'"},
      {R"({"feature_service": 3, "entities": {"id": [1]}})", "'feature_service' must be a string"},
      {R"({"features": ["v:a", 2], "entities": {"id": [1]}})", "'features[1]'"},
      {R"({"features": ["v:a"], "entities": {"id": [1]}, "full_feature_names": 1})",
       "full_feature_names"},
      {R"({"features": ["v:a"], "entities": {"id": [1, 2]}, "request_data": {"x": [1, 2, 3]}})",
       "'request_data.x' has 3 values for 2 entities"},
      {R"({"features": ["v:a"], "entities": {"id": [1]}, "at": "yesterday"})", "'at'"},
      {R"({"features": ["v:a"], "entities": {"id": [1]}, "entity_rows": []})",
       "unknown field 'entity_rows'"},
  };
  for (const auto& [body, expected] : cases) {
    auto r = ParseOnlineRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << body << "\n -> " << r.status().message();
  }
}

retrieval::OnlineRows SampleRows() {
  retrieval::OnlineRows rows;
  rows.columns = {"customer_id", "amount", "status"};
  rows.types = {core::ValueType::kInt64, core::ValueType::kFloat64, core::ValueType::kString};
  rows.key_columns = 1;
  using S = retrieval::FeatureStatus;
  rows.rows = {{int64_t{42}, 12.5, std::string("paid")},
               {int64_t{43}, std::monostate{}, std::monostate{}},
               {int64_t{44}, std::monostate{}, std::monostate{}}};
  rows.statuses = {{S::kPresent, S::kPresent, S::kPresent},
                   {S::kPresent, S::kNotFound, S::kNotFound},
                   {S::kPresent, S::kOutsideMaxAge, S::kOutsideMaxAge}};
  rows.event_ts = {{0, 1767225600000000, 1767225600000000}, {0, 0, 0},
                   {0, 1700000000000000, 1700000000000000}};
  return rows;
}

TEST(BuildOnlineResponse, FeastShapeOneResultPerColumn) {
  const json out = json::parse(BuildOnlineResponse(SampleRows(), "req-1"));
  const json expected = json::parse(R"({
    "metadata": {"feature_names": ["customer_id", "amount", "status"]},
    "results": [
      {"values": [42, 43, 44], "statuses": ["PRESENT", "PRESENT", "PRESENT"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                            "1970-01-01T00:00:00Z"]},
      {"values": [12.5, null, null], "statuses": ["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"],
       "event_timestamps": ["2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                            "2023-11-14T22:13:20Z"]},
      {"values": ["paid", null, null], "statuses": ["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"],
       "event_timestamps": ["2026-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                            "2023-11-14T22:13:20Z"]}
    ],
    "request_id": "req-1"})");
  EXPECT_EQ(out, expected) << out.dump(2);
}

TEST(BuildOnlineResponse, NoEntitiesGivesEmptyColumns) {
  retrieval::OnlineRows rows;
  rows.columns = {"id", "f"};
  rows.key_columns = 1;
  const json out = json::parse(BuildOnlineResponse(rows, "r"));
  ASSERT_EQ(out["results"].size(), 2u);
  EXPECT_TRUE(out["results"][1]["values"].empty());
}

TEST(ErrorBody, CarriesTheMessageUnchanged) {
  const std::string message = "unknown feature 'x' in view \"v\"\nsecond line";
  EXPECT_EQ(json::parse(ErrorBody(message))["error"], message);
}

// Random mutations of valid bodies (bytes flipped, inserted, cut): every one parses or is
// refused with a message, never crashes or throws.
TEST(ParseRequests, RandomMutationsNeverCrash) {
  const std::string seeds[] = {
      R"({"feature_service": "churn_model", "entities": {"customer_id": [42, 43]}})",
      R"({"features": ["v:a"], "entities": {"id": ["x"]}, "request_data": {"amount": [1.5]},
          "full_feature_names": true, "at": 1767225600})",
      R"({"push_source_name": "orders", "to": "online", "df": {"customer_id": [1, 2],
          "amount": [1.5, null], "event_ts": ["2026-01-01T00:00:00Z", 1767225600]}})",
  };
  const char alphabet[] = "{}[]\":,0123456789.eE+-nulltruefalse \\\x00\xff\xc3";
  std::mt19937 rng(20261202);
  for (int i = 0; i < 20'000; ++i) {
    std::string body = seeds[i % 3];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t at = rng() % body.size();
      const char c = alphabet[rng() % (sizeof(alphabet) - 1)];
      switch (rng() % 3) {
        case 0: body[at] = c; break;
        case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: body.erase(at, 1 + rng() % 8); break;
      }
    }
    auto online = ParseOnlineRequest(body);
    if (!online.ok()) {
      EXPECT_FALSE(online.status().message().empty());
    }
    auto push = ParsePushRequest(body);
    if (!push.ok()) {
      EXPECT_FALSE(push.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace fst::serving
