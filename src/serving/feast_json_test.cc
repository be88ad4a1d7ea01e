#include "featherstone/serving/feast_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "featherstone/core/time.h"
#include "featherstone/retrieval/online_json.h"
#include "featherstone/serving/push_json.h"
#include "feast_request_scan.h"

namespace fst::serving {
namespace {

using nlohmann::json;

// The document parser alone: OnlineRequestFromJson of the parsed body.
Result<OnlineRequest> ParseWithDocument(const std::string& body) {
  if (!json::accept(body)) return Status::Invalid("malformed JSON");
  return OnlineRequestFromJson(json::parse(body));
}

// ParseOnlineRequest (the scanner, else the document) agrees with the document parser alone:
// the same request, or the same error.
void ExpectSameAsDocument(const std::string& body) {
  const auto fast = ParseOnlineRequest(body);
  const auto slow = ParseWithDocument(body);
  ASSERT_EQ(fast.ok(), slow.ok()) << body << "\n" << fast.status().ToString() << "\n"
                                  << slow.status().ToString();
  if (!slow.ok()) {
    if (slow.status().message() == "malformed JSON") {
      EXPECT_TRUE(fast.status().message().starts_with("malformed JSON")) << body;
    } else {
      EXPECT_EQ(fast.status().message(), slow.status().message()) << body;
    }
    return;
  }
  EXPECT_EQ(fast->feature_service, slow->feature_service) << body;
  EXPECT_EQ(fast->features, slow->features) << body;
  EXPECT_EQ(fast->entities, slow->entities) << body;
  EXPECT_EQ(fast->requests, slow->requests) << body;
  EXPECT_EQ(fast->full_feature_names, slow->full_feature_names) << body;
  EXPECT_EQ(fast->at, slow->at) << body;
}

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

// The response as a JSON tree of retrieval::ToJson values would print it.
std::string ReferenceResponse(const retrieval::OnlineRows& rows, const std::string& request_id) {
  using ojson = nlohmann::ordered_json;
  ojson out = {{"metadata", {{"feature_names", rows.columns}}}, {"results", ojson::array()}};
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    ojson values = ojson::array(), statuses = ojson::array(), times = ojson::array();
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      values.push_back(retrieval::ToJson(rows.rows[r][c]));
      statuses.push_back(retrieval::FeatureStatusName(rows.statuses[r][c]));
      const int64_t ts = rows.event_ts[r][c];
      times.push_back(core::FormatTimestamp(ts == std::numeric_limits<int64_t>::min() ? 0 : ts));
    }
    out["results"].push_back(
        {{"values", values}, {"statuses", statuses}, {"event_timestamps", times}});
  }
  out["request_id"] = request_id;
  return out.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

// Random rows (nulls, booleans, integers, doubles with NaN and infinities, unicode and invalid
// UTF-8 strings, embeddings, string lists; missing rows, repeated and distinct event times):
// the same bytes as the tree.
TEST(BuildOnlineResponse, SameBytesAsAJsonTreeOnRandomRows) {
  std::mt19937 rng(20261207);
  const std::string texts[] = {"", "paid", "caf\xc3\xa9", "\xe2\x82\xac 5", "q\"t\\n\n",
                               "\x01\x7f", "\xff\xfe bad", "\xf0\x9f\x98\x80"};
  auto value = [&]() -> retrieval::OnlineValue {
    switch (rng() % 9) {
      case 0: return std::monostate{};
      case 1: return rng() % 2 == 0;
      case 2: return static_cast<int64_t>(rng()) - (int64_t{1} << 31);
      case 3: return std::numeric_limits<int64_t>::min();
      case 4: {
        const double special[] = {0.1, -2.5e300, 1e-7, std::nan(""),
                                  std::numeric_limits<double>::infinity(), -0.0};
        return special[rng() % 6];
      }
      case 5: return texts[rng() % 8];
      case 6: return std::vector<float>{0.1f, -3.5f, 1e30f, std::nanf("")};
      case 7: return std::vector<std::string>{texts[rng() % 8], texts[rng() % 8]};
      default: return std::vector<float>{};
    }
  };
  const int64_t times[] = {0, std::numeric_limits<int64_t>::min(), 1767225600000000,
                           1767225600123456, -86400000000};
  for (int i = 0; i < 2'000; ++i) {
    retrieval::OnlineRows rows;
    const size_t columns = 1 + rng() % 6, entities = rng() % 4;
    for (size_t c = 0; c < columns; ++c) rows.columns.push_back(texts[rng() % 8] + "f");
    rows.key_columns = 1;
    for (size_t r = 0; r < entities; ++r) {
      rows.rows.emplace_back();
      rows.statuses.emplace_back();
      rows.event_ts.emplace_back();
      for (size_t c = 0; c < columns; ++c) {
        rows.rows.back().push_back(value());
        rows.statuses.back().push_back(static_cast<retrieval::FeatureStatus>(rng() % 3));
        rows.event_ts.back().push_back(times[rng() % 5]);
      }
    }
    const std::string id = texts[rng() % 8];
    ASSERT_EQ(BuildOnlineResponse(rows, id), ReferenceResponse(rows, id));
  }
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
    ExpectSameAsDocument(body);
    auto push = ParsePushRequest(body);
    if (!push.ok()) {
      EXPECT_FALSE(push.status().message().empty());
    }
  }
}

TEST(ScanOnlineRequest, ReadsTheCommonBodies) {
  for (const char* body : {
           R"({"feature_service": "svc50", "entities": {"customer_id": [42]}})",
           R"({"features":["v:a","w:b"],"entities":{"region":["eu","us"],"id":[1,-20]},)"
           R"("full_feature_names":false,"request_data":{"x":[true, 0]}})",
           "\t{ \"feature_service\" : \"s\" ,\r\n \"entities\" : { \"id\" : [ ] } }\n"}) {
    EXPECT_TRUE(ScanOnlineRequest(body).has_value()) << body;
    ExpectSameAsDocument(body);
  }
  auto scanned = ScanOnlineRequest(R"({"entities": {"b": [1], "a": ["x"]}, "features": []})");
  ASSERT_TRUE(scanned.has_value());
  ASSERT_EQ(scanned->entities->size(), 2u);
  EXPECT_EQ(scanned->entities->front().first, "a");  // by name, as the document orders them
}

TEST(ScanOnlineRequest, LeavesTheRestToTheDocument) {
  for (const char* body : {
           R"({"feature_service": "s", "entities": {"id": [1.5]}})",
           R"({"feature_service": "s", "entities": {"id": [1e3]}})",
           R"({"feature_service": "s", "entities": {"id": [-0]}})",
           R"({"feature_service": "s", "entities": {"id": [007]}})",
           R"({"feature_service": "s", "entities": {"id": [1234567890123456789]}})",
           R"({"feature_service": "s", "entities": {"id": [null]}})",
           R"({"feature_service": "s", "entities": {"id": ["a\"b"]}})",
           R"({"feature_service": "s", "entities": {"id": ["\u00e9"]}})",
           "{\"feature_service\": \"s\", \"entities\": {\"id\": [\"caf\xc3\xa9\"]}}",
           R"({"feature_service": "s", "entities": {"id": [1], "id": [2]}})",
           R"({"feature_service": "s", "feature_service": "t", "entities": {"id": [1]}})",
           R"({"feature_service": "s", "entities": {"id": [1]}, "at": 1767225600})",
           R"({"features": ["v:a"], "entities": {"id": [1]}, "request_data": {"q": [[0.5]]}})",
           R"({"feature_service": "s", "entities": {"id": [1]}} x)",
           R"({"feature_service": "s", "entities": {"id": [1]}, "extra": 1})",
           R"({"feature_service": "s", "entities": {"id": [NaN]}})",
       }) {
    EXPECT_FALSE(ScanOnlineRequest(body).has_value()) << body;
    ExpectSameAsDocument(body);
  }
}

// Random bodies of the request's shape (random keys present, repeated or missing; values of
// every JSON type, numbers of every form, NaN, strings with escapes and unicode, embeddings):
// ParseOnlineRequest answers as the document parser does.
TEST(ParseOnlineRequest, RandomBodiesAsTheDocumentParser) {
  std::mt19937 rng(20261207);
  auto pick = [&rng](std::initializer_list<const char*> options) {
    return std::string(options.begin()[rng() % options.size()]);
  };
  auto space = [&] { return pick({"", "", " ", "\n  ", "\t"}); };
  auto scalar = [&] {
    switch (rng() % 12) {
      case 0: return std::to_string(static_cast<int64_t>(rng() % 100000) - 500);
      case 1: return std::to_string(rng());
      case 2: return pick({"0", "-0", "1.5", "-2.25e3", "1E2", "0.1", "9223372036854775808",
                           "123456789012345678", "1234567890123456789", "01"});
      case 3: return pick({"true", "false", "null", "NaN", "nan"});
      case 4: return pick({"\"\"", "\"a b\"", "\"caf\xc3\xa9\"", "\"\\u00e9\\n\"",
                           "\"q\\\"t\"", "\"\xe2\x82\xac\"", "\"\xff\""});
      case 5: return pick({"[0.5, 1, -2]", "[]", "[[1]]", "{}", "[\"x\"]"});
      default: return "\"k" + std::to_string(rng() % 1000) + "\"";
    }
  };
  auto columns = [&](size_t entities) {
    std::string out = "{";
    const size_t n = rng() % 3;
    for (size_t c = 0; c < n; ++c) {
      if (c > 0) out += ",";
      out += space() + pick({"\"id\"", "\"region\"", "\"a\"", "\"id\"", "\"\xc3\xa9\""}) +
             ":" + space() + "[";
      const size_t values = rng() % 5 == 0 ? rng() % 4 : entities;
      for (size_t v = 0; v < values; ++v) out += (v > 0 ? "," : "") + space() + scalar();
      out += "]";
    }
    return out + "}";
  };
  int scanned = 0;
  for (int i = 0; i < 20'000; ++i) {
    const size_t entities = 1 + rng() % 3;
    std::vector<std::string> fields;
    if (rng() % 4 != 0) {
      fields.push_back("\"feature_service\":" + space() +
                       pick({"\"svc\"", "\"\"", "3", "null", "\"s\\u0041\""}));
    }
    if (rng() % 3 == 0) {
      fields.push_back("\"features\":" + pick({"[\"v:a\", \"w:b\"]", "[]", "[\"v:a\", 2]",
                                              "\"v:a\"", "[\"v:\xc3\xa9\"]"}));
    }
    if (rng() % 8 != 0) fields.push_back("\"entities\":" + space() + columns(entities));
    if (rng() % 3 == 0) fields.push_back("\"request_data\":" + columns(entities));
    if (rng() % 4 == 0) {
      fields.push_back("\"full_feature_names\":" + pick({"true", "false", "1", "\"true\""}));
    }
    if (rng() % 10 == 0) fields.push_back("\"at\":" + pick({"1767225600", "\"2026-01-01\"", "x"}));
    if (rng() % 10 == 0) fields.push_back(pick({"\"entity_rows\":[]", "\"entities\":{}"}));
    std::shuffle(fields.begin(), fields.end(), rng);
    std::string body = space() + "{";
    for (size_t f = 0; f < fields.size(); ++f) body += (f > 0 ? "," : "") + space() + fields[f];
    body += space() + "}" + (rng() % 20 == 0 ? pick({",", "}", " x", "\n"}) : "");
    scanned += ScanOnlineRequest(body).has_value();
    ExpectSameAsDocument(body);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(scanned, 1000);  // the scanner's path is exercised, not only the fallback
}

}  // namespace
}  // namespace fst::serving
