#include "featherstone/serving/push_json.h"

#include <gtest/gtest.h>

namespace fst::serving {
namespace {

TEST(ParsePushRequest, ColumnsBecomeOneObjectPerRow) {
  auto r = ParsePushRequest(R"({"push_source_name": "orders", "to": "offline", "df": {
      "customer_id": [42, 43], "amount": [12.5, null], "order_id": ["a", "b"],
      "embedding": [[0.5, 1], []], "event_ts": ["2026-01-01T00:00:00Z", 1767225600]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, "orders");
  EXPECT_EQ(r->to, PushTarget::kOffline);
  EXPECT_EQ(r->rows, 2);
  EXPECT_EQ(r->events,
            "{\"customer_id\":42,\"amount\":12.5,\"order_id\":\"a\",\"embedding\":[0.5,1],"
            "\"event_ts\":\"2026-01-01T00:00:00Z\"}\n"
            "{\"customer_id\":43,\"amount\":null,\"order_id\":\"b\",\"embedding\":[],"
            "\"event_ts\":1767225600}\n");
}

TEST(ParsePushRequest, SourceAliasAndDefaultTarget) {
  auto r = ParsePushRequest(R"({"source": "orders", "df": {"x": [1]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, "orders");
  EXPECT_EQ(r->to, PushTarget::kOnlineAndOffline);
  EXPECT_EQ(ParsePushRequest(R"({"source": "o", "to": "online", "df": {"x": [1]}})")->to,
            PushTarget::kOnline);
}

TEST(ParsePushRequest, BadBodiesNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", "malformed JSON"},
      {R"({"df": {"x": [1]}})", "missing 'push_source_name'"},
      {R"({"source": "o"})", "missing 'df'"},
      {R"({"source": "o", "df": {}})", "'df' must be a non-empty object"},
      {R"({"source": "o", "df": {"x": 1}})", "'df.x' must be an array"},
      {R"({"source": "o", "df": {"x": [1, 2], "y": [1]}})", "'df.y' has 1 values but 'df.x' has 2"},
      {R"({"source": "o", "df": {"x": []}})", "'df' has no rows"},
      {R"({"source": "o", "to": "disk", "df": {"x": [1]}})", "'to' is disk"},
      {R"({"source": "o", "push_source_name": "p", "df": {"x": [1]}})", "give one of"},
      {R"({"source": "o", "rows": [], "df": {"x": [1]}})", "unknown field 'rows'"},
  };
  for (const auto& [body, expected] : cases) {
    auto r = ParsePushRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << body << "\n -> " << r.status().message();
  }
}

}  // namespace
}  // namespace fst::serving
