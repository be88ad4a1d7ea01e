// The gRPC transport on a real server (127.0.0.1, a free port) with a generated client stub,
// against the HTTP handler of the same Handlers: the same values, statuses and event times for
// the same request, the same auth answers and the same error messages, mapped to gRPC codes.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../repo/test_repo.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/retrieval/materialize.h"
#include "featherstone/serving/grpc_server.h"
#include "featherstone/serving/handlers.h"
#include "featherstone/serving/v1/serving.grpc.pb.h"

namespace fst::serving {
namespace {

namespace pb = featherstone::serving::v1;
using nlohmann::json;

constexpr char kYaml[] = R"yaml(project: shop
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    format: csv
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: qty, type: int32}
      - {name: gift, type: bool}
      - {name: event_ts, type: timestamp}
  - name: payments
    kind: push
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: paid, type: float64}
      - {name: event_ts, type: timestamp}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 5d
    online: true
    features:
      - {name: amount}
      - {name: order_id}
      - {name: qty}
      - {name: gift}
      - {name: orders_7d, agg: count, column: order_id, window: 7d}
      - {name: last_order_ts, agg: last, column: event_ts, window: 30d}
  - name: payment_features
    entities: [customer]
    source: payments
    ttl: 5d
    online: true
    features:
      - {name: paid}
on_demand_feature_views:
  - name: transaction_features
    request_schema:
      - {name: amount, type: float64}
    sources: [customer_features]
    features:
      - {name: amount_vs_last, expr: "amount / customer_features.amount"}
feature_services:
  - name: churn_model
    features: [customer_features:amount, customer_features:order_id, customer_features:qty]
)yaml";

// 2026-01-01 and the lookup time of every request: ten days later.
const int64_t kBase = 1'767'225'600'000'000;
const std::string kAt = "2026-01-11T00:00:00Z";

class GrpcServerTest : public repo::RepoTest {
 protected:
  void SetUp() override {
    OpenRepo(kYaml, /*check_features=*/true);
    const std::string csv = dir_ + "/orders.csv";
    std::ofstream(csv) << "customer_id,order_id,amount,qty,gift,event_ts\n"
                          "1,o1,10.5,2,true,2026-01-08T10:00:00Z\n"
                          "1,o2,20.25,3,false,2026-01-09T11:30:00.250Z\n"
                          "2,o3,,1,true,2026-01-10T00:00:00Z\n"
                          "3,o4,99,5,false,2025-12-20T00:00:00Z\n";
    auto ingested = ingest::IngestFile(*repo_, "orders", csv, {});
    ASSERT_TRUE(ingested.ok()) << ingested.status().ToString();
    retrieval::MaterializeOptions materialize;
    materialize.end = kBase + 10 * core::kMicrosPerDay;
    auto materialized = retrieval::Materialize(*repo_, materialize);
    ASSERT_TRUE(materialized.ok()) << materialized.status().ToString();

    const std::string tokens_yaml = "tokens:\n"
                                    "  - name: admin\n    sha256: " + Sha256Hex("tok-admin") +
                                    "\n    scopes: [admin]\n"
                                    "  - name: churn-api\n    sha256: " + Sha256Hex("tok-churn") +
                                    "\n    scopes: [read:service/churn_model]\n";
    auto tokens = TokenFile::Parse(tokens_yaml, "tokens.yaml");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    FeatureLogOptions log_options;
    log_options.dir = FeatureLogDir(dir_);
    auto log = FeatureLog::Open(log_options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    auto handlers = Handlers::Open(std::move(repo_), std::move(*tokens), std::move(*log));
    ASSERT_TRUE(handlers.ok()) << handlers.status().ToString();
    handlers_ = std::move(*handlers);

    GrpcServerOptions options;
    options.message_limit = 64 << 10;
    auto server = GrpcServer::Listen(*handlers_, options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    ASSERT_NE(server_->port(), 0);
    stub_ = pb::FeatureServing::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(1);
  }

  // The HTTP handler's answer to POST /get-online-features with `body`.
  HttpResponse Http(const json& body, const std::string& token = "tok-admin") {
    return handlers_->Handle(
        {"POST", "/get-online-features", token.empty() ? "" : "Bearer " + token, body.dump()});
  }

  grpc::Status Lookup(const pb::GetOnlineFeaturesRequest& request,
                      pb::GetOnlineFeaturesResponse* response,
                      const std::string& authorization = "Bearer tok-admin") {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    return stub_->GetOnlineFeatures(&context, request, response);
  }

  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<pb::FeatureServing::Stub> stub_;
};

pb::Value Int(int64_t v) {
  pb::Value value;
  value.set_int64_val(v);
  return value;
}

pb::Value Text(const std::string& v) {
  pb::Value value;
  value.set_string_val(v);
  return value;
}

void AddColumn(google::protobuf::Map<std::string, pb::RepeatedValue>* columns,
               const std::string& name, const std::vector<pb::Value>& values) {
  auto& column = (*columns)[name];
  for (const auto& value : values) *column.add_val() = value;
}

// A gRPC answer in the JSON API's shape, request_id left out, to compare with HTTP's.
json AsJson(const pb::GetOnlineFeaturesResponse& response) {
  auto value_json = [](const pb::Value& v) -> json {
    switch (v.val_case()) {
      case pb::Value::kBytesVal: return v.bytes_val();
      case pb::Value::kStringVal: return v.string_val();
      case pb::Value::kInt32Val: return v.int32_val();
      case pb::Value::kInt64Val: return v.int64_val();
      case pb::Value::kDoubleVal: return v.double_val();
      case pb::Value::kFloatVal: return static_cast<double>(v.float_val());
      case pb::Value::kBoolVal: return v.bool_val();
      case pb::Value::kNullVal: return nullptr;
      default: return "unexpected value kind " + std::to_string(v.val_case());
    }
  };
  json out = {{"metadata", {{"feature_names", json::array()}}}, {"results", json::array()}};
  for (const auto& name : response.metadata().feature_names().val()) {
    out["metadata"]["feature_names"].push_back(name);
  }
  for (const auto& vector : response.results()) {
    json result = {{"values", json::array()},
                   {"statuses", json::array()},
                   {"event_timestamps", json::array()}};
    for (const auto& v : vector.values()) result["values"].push_back(value_json(v));
    for (int status : vector.statuses()) {
      result["statuses"].push_back(pb::FieldStatus_Name(static_cast<pb::FieldStatus>(status)));
    }
    for (const auto& t : vector.event_timestamps()) {
      result["event_timestamps"].push_back(
          core::FormatTimestamp(t.seconds() * core::kMicrosPerSecond + t.nanos() / 1000));
    }
    out["results"].push_back(std::move(result));
  }
  return out;
}

// HTTP's answer without its request_id.
json WithoutRequestId(const std::string& body) {
  json out = json::parse(body);
  out.erase("request_id");
  return out;
}

TEST_F(GrpcServerTest, LookupsEqualTheHttpHandlersAnswers) {
  struct Case {
    const char* what;
    pb::GetOnlineFeaturesRequest grpc;
    json http;
  };
  std::vector<Case> cases;
  {
    Case c{"features of every type, present, null, outside the ttl and absent", {}, {}};
    for (const char* f : {"customer_features:amount", "customer_features:order_id",
                          "customer_features:qty", "customer_features:gift",
                          "customer_features:orders_7d", "customer_features:last_order_ts",
                          "payment_features:paid"}) {
      c.grpc.mutable_features()->add_val(f);
      c.http["features"].push_back(f);
    }
    AddColumn(c.grpc.mutable_entities(), "customer_id", {Int(1), Int(2), Int(3), Int(99)});
    c.http["entities"]["customer_id"] = {1, 2, 3, 99};
    cases.push_back(std::move(c));
  }
  {
    Case c{"a service, full feature names, a key as text", {}, {}};
    c.grpc.set_feature_service("churn_model");
    c.grpc.set_full_feature_names(true);
    AddColumn(c.grpc.mutable_entities(), "customer_id", {Text("1"), Int(3)});
    c.http = {{"feature_service", "churn_model"},
              {"full_feature_names", true},
              {"entities", {{"customer_id", {"1", 3}}}}};
    cases.push_back(std::move(c));
  }
  {
    Case c{"an on-demand feature with request data for all entities", {}, {}};
    c.grpc.mutable_features()->add_val("transaction_features:amount_vs_last");
    AddColumn(c.grpc.mutable_entities(), "customer_id", {Int(1), Int(2)});
    pb::Value forty;
    forty.set_double_val(40.5);
    AddColumn(c.grpc.mutable_request_data(), "amount", {forty});
    c.http = {{"features", {"transaction_features:amount_vs_last"}},
              {"entities", {{"customer_id", {1, 2}}}},
              {"request_data", {{"amount", {40.5}}}}};
    cases.push_back(std::move(c));
  }
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    c.grpc.set_at(kAt);
    c.http["at"] = kAt;
    pb::GetOnlineFeaturesResponse response;
    grpc::Status status = Lookup(c.grpc, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const HttpResponse http = Http(c.http);
    ASSERT_EQ(http.status, 200) << http.body;
    EXPECT_EQ(AsJson(response), WithoutRequestId(http.body));
    EXPECT_EQ(response.request_id().size(), 21u) << response.request_id();
  }
}

TEST_F(GrpcServerTest, ValuesAreTypedAsTheirFeatures) {
  pb::GetOnlineFeaturesRequest request;
  for (const char* f : {"customer_features:amount", "customer_features:order_id",
                        "customer_features:qty", "customer_features:gift",
                        "customer_features:orders_7d", "customer_features:last_order_ts"}) {
    request.mutable_features()->add_val(f);
  }
  AddColumn(request.mutable_entities(), "customer_id", {Int(1), Int(2), Int(99)});
  request.set_at(kAt);
  pb::GetOnlineFeaturesResponse response;
  ASSERT_TRUE(Lookup(request, &response).ok());
  ASSERT_EQ(response.results_size(), 7);
  const auto& keys = response.results(0);
  EXPECT_EQ(keys.values(0).int64_val(), 1);
  const auto& amount = response.results(1);
  EXPECT_EQ(amount.values(0).double_val(), 20.25);
  EXPECT_EQ(amount.values(1).val_case(), pb::Value::kNullVal);  // a stored null
  EXPECT_EQ(amount.statuses(1), pb::PRESENT);
  EXPECT_EQ(amount.statuses(2), pb::NOT_FOUND);
  EXPECT_EQ(amount.event_timestamps(0).seconds(), 1767958200);  // 2026-01-09T11:30:00.250Z
  EXPECT_EQ(amount.event_timestamps(0).nanos(), 250'000'000);
  EXPECT_EQ(amount.event_timestamps(2).seconds(), 0);
  EXPECT_EQ(response.results(2).values(0).string_val(), "o2");
  EXPECT_EQ(response.results(3).values(0).int32_val(), 3);
  EXPECT_EQ(response.results(4).values(0).bool_val(), false);
  EXPECT_EQ(response.results(5).values(0).int64_val(), 2);
  EXPECT_EQ(response.results(6).values(0).string_val(),
            core::FormatTimestamp(1'767'958'200'250'000));
}

TEST_F(GrpcServerTest, AuthMatrixAnswersAsHttp) {
  pb::GetOnlineFeaturesRequest by_service;
  by_service.set_feature_service("churn_model");
  by_service.set_at(kAt);
  AddColumn(by_service.mutable_entities(), "customer_id", {Int(1)});
  pb::GetOnlineFeaturesRequest by_features;
  by_features.mutable_features()->add_val("customer_features:amount");
  by_features.set_at(kAt);
  AddColumn(by_features.mutable_entities(), "customer_id", {Int(1)});
  const json http_service = {{"feature_service", "churn_model"},
                             {"entities", {{"customer_id", {1}}}},
                             {"at", kAt}};
  const json http_features = {{"features", {"customer_features:amount"}},
                              {"entities", {{"customer_id", {1}}}},
                              {"at", kAt}};
  struct Case {
    const char* what;
    std::string authorization;  // metadata value; empty: none
    const pb::GetOnlineFeaturesRequest* request;
    const json* http;
    grpc::StatusCode code;
    int http_status;
  };
  const std::vector<Case> cases = {
      {"no token", "", &by_service, &http_service, grpc::StatusCode::UNAUTHENTICATED, 401},
      {"another scheme", "Basic dG9r", &by_service, &http_service,
       grpc::StatusCode::UNAUTHENTICATED, 401},
      {"unknown token", "Bearer tok-nope", &by_service, &http_service,
       grpc::StatusCode::UNAUTHENTICATED, 401},
      {"wrong scope", "Bearer tok-churn", &by_features, &http_features,
       grpc::StatusCode::PERMISSION_DENIED, 403},
      {"right scope", "Bearer tok-churn", &by_service, &http_service, grpc::StatusCode::OK, 200},
      {"admin", "Bearer tok-admin", &by_features, &http_features, grpc::StatusCode::OK, 200},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    pb::GetOnlineFeaturesResponse response;
    grpc::Status status = Lookup(*c.request, &response, c.authorization);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    const HttpResponse http = handlers_->Handle(
        {"POST", "/get-online-features", c.authorization, c.http->dump()});
    EXPECT_EQ(http.status, c.http_status) << http.body;
    if (c.code == grpc::StatusCode::OK) {
      EXPECT_EQ(response.results(1).values(0).double_val(), 20.25);
    } else {
      EXPECT_EQ(json::parse(http.body)["error"], status.error_message());
    }
  }
  // Health needs no token.
  grpc::ClientContext context;
  pb::HealthResponse health;
  ASSERT_TRUE(stub_->Health(&context, pb::HealthRequest(), &health).ok());
  EXPECT_EQ(health.status(), pb::HealthResponse::SERVING);
}

TEST_F(GrpcServerTest, BadInputGetsHttpsMessageAndItsCode) {
  struct Case {
    const char* what;
    pb::GetOnlineFeaturesRequest grpc;
    json http;
    grpc::StatusCode code;
    int http_status;
  };
  std::vector<Case> cases;
  auto add = [&cases](const char* what, grpc::StatusCode code, int http_status,
                      const std::function<void(pb::GetOnlineFeaturesRequest*, json*)>& make) {
    Case c{what, {}, json::object(), code, http_status};
    make(&c.grpc, &c.http);
    cases.push_back(std::move(c));
  };
  add("unknown service", grpc::StatusCode::NOT_FOUND, 404, [](auto* g, json* h) {
    g->set_feature_service("churn_mdl");
    AddColumn(g->mutable_entities(), "customer_id", {Int(1)});
    *h = {{"feature_service", "churn_mdl"}, {"entities", {{"customer_id", {1}}}}};
  });
  add("unknown feature", grpc::StatusCode::NOT_FOUND, 404, [](auto* g, json* h) {
    g->mutable_features()->add_val("customer_features:amout");
    AddColumn(g->mutable_entities(), "customer_id", {Int(1)});
    *h = {{"features", {"customer_features:amout"}}, {"entities", {{"customer_id", {1}}}}};
  });
  add("a key of the wrong type", grpc::StatusCode::INVALID_ARGUMENT, 400, [](auto* g, json* h) {
    g->set_feature_service("churn_model");
    AddColumn(g->mutable_entities(), "customer_id", {Text("abc")});
    *h = {{"feature_service", "churn_model"}, {"entities", {{"customer_id", {"abc"}}}}};
  });
  add("an unknown join key", grpc::StatusCode::INVALID_ARGUMENT, 400, [](auto* g, json* h) {
    g->set_feature_service("churn_model");
    AddColumn(g->mutable_entities(), "customer_idd", {Int(1)});
    *h = {{"feature_service", "churn_model"}, {"entities", {{"customer_idd", {1}}}}};
  });
  add("a null key", grpc::StatusCode::INVALID_ARGUMENT, 400, [](auto* g, json* h) {
    g->set_feature_service("churn_model");
    AddColumn(g->mutable_entities(), "customer_id", {Int(1), pb::Value()});
    *h = {{"feature_service", "churn_model"}, {"entities", {{"customer_id", {1, nullptr}}}}};
  });
  add("no entities", grpc::StatusCode::INVALID_ARGUMENT, 400, [](auto* g, json* h) {
    g->set_feature_service("churn_model");
    *h = {{"feature_service", "churn_model"}};
  });
  add("neither service nor features", grpc::StatusCode::INVALID_ARGUMENT, 400,
      [](auto* g, json* h) {
        AddColumn(g->mutable_entities(), "customer_id", {Int(1)});
        *h = {{"entities", {{"customer_id", {1}}}}};
      });
  add("request data of the wrong length", grpc::StatusCode::INVALID_ARGUMENT, 400,
      [](auto* g, json* h) {
        g->mutable_features()->add_val("transaction_features:amount_vs_last");
        AddColumn(g->mutable_entities(), "customer_id", {Int(1), Int(2), Int(3)});
        AddColumn(g->mutable_request_data(), "amount", {Int(1), Int(2)});
        *h = {{"features", {"transaction_features:amount_vs_last"}},
              {"entities", {{"customer_id", {1, 2, 3}}}},
              {"request_data", {{"amount", {1, 2}}}}};
      });
  add("a bad lookup time", grpc::StatusCode::INVALID_ARGUMENT, 400, [](auto* g, json* h) {
    g->set_feature_service("churn_model");
    g->set_at("yesterday");
    AddColumn(g->mutable_entities(), "customer_id", {Int(1)});
    *h = {{"feature_service", "churn_model"}, {"at", "yesterday"},
          {"entities", {{"customer_id", {1}}}}};
  });
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    pb::GetOnlineFeaturesResponse response;
    grpc::Status status = Lookup(c.grpc, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    const HttpResponse http = Http(c.http);
    EXPECT_EQ(http.status, c.http_status) << http.body;
    EXPECT_EQ(json::parse(http.body)["error"], status.error_message());
    EXPECT_FALSE(status.error_message().empty());
  }
  // Too many entities for one message: refused by the transport, as HTTP's body limit (413).
  pb::GetOnlineFeaturesRequest big;
  big.set_feature_service("churn_model");
  std::vector<pb::Value> keys(20'000, Int(1'000'000'007));
  AddColumn(big.mutable_entities(), "customer_id", keys);
  pb::GetOnlineFeaturesResponse response;
  EXPECT_EQ(Lookup(big, &response).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The server goes on answering.
  pb::GetOnlineFeaturesRequest fine;
  fine.set_feature_service("churn_model");
  AddColumn(fine.mutable_entities(), "customer_id", {Int(1)});
  EXPECT_TRUE(Lookup(fine, &response).ok());
}

TEST_F(GrpcServerTest, PushIsServedAtOnceAndCountedInMetrics) {
  pb::PushRequest push;
  push.set_push_source_name("payments");
  AddColumn(push.mutable_df(), "customer_id", {Int(7), Int(8)});
  pb::Value a, b;
  a.set_double_val(12.5);
  b.set_float_val(3.25f);
  AddColumn(push.mutable_df(), "paid", {a, b});
  const std::string now = core::FormatTimestamp(core::NowMicros() - core::kMicrosPerSecond);
  AddColumn(push.mutable_df(), "event_ts", {Text(now), Text(now)});
  pb::PushResponse pushed;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tok-churn");  // lacks push:source/payments
    grpc::Status status = stub_->Push(&context, push, &pushed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(status.error_message(), "token 'churn-api' needs push:source/payments");
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tok-admin");
    grpc::Status status = stub_->Push(&context, push, &pushed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(pushed.rows_written(), 2);
  EXPECT_GT(pushed.ingest_id(), 0);
  ASSERT_EQ(pushed.materialized_size(), 1);
  EXPECT_EQ(pushed.materialized(0).view(), "payment_features");
  pb::GetOnlineFeaturesRequest lookup;
  lookup.mutable_features()->add_val("payment_features:paid");
  AddColumn(lookup.mutable_entities(), "customer_id", {Int(7), Int(8)});
  pb::GetOnlineFeaturesResponse response;
  ASSERT_TRUE(Lookup(lookup, &response).ok());
  EXPECT_EQ(response.results(1).values(0).double_val(), 12.5);
  EXPECT_EQ(response.results(1).values(1).double_val(), 3.25);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tok-admin");
    pb::PushRequest bad = push;
    bad.set_to("nowhere");
    grpc::Status status = stub_->Push(&context, bad, &pushed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "'to' is nowhere; expected \"offline\", \"online\" or "
                                      "\"online_and_offline\"");
  }
  const HttpResponse metrics = handlers_->Handle({"GET", "/metrics", "Bearer tok-admin", ""});
  ASSERT_EQ(metrics.status, 200);
  for (const char* line :
       {"fst_grpc_requests_total{method=\"Push\",code=\"OK\"} 1",
        "fst_grpc_requests_total{method=\"Push\",code=\"PERMISSION_DENIED\"} 1",
        "fst_grpc_requests_total{method=\"Push\",code=\"INVALID_ARGUMENT\"} 1",
        "fst_grpc_requests_total{method=\"GetOnlineFeatures\",code=\"OK\"} 1",
        "fst_grpc_request_duration_seconds_count{method=\"Push\"} 3",
        "fst_push_rows_total{outcome=\"written\"} 2",
        "fst_auth_token_requests_total{token=\"churn-api\",outcome=\"forbidden\"} 1"}) {
    EXPECT_NE(metrics.body.find(std::string(line) + "\n"), std::string::npos)
        << line << " not in\n" << metrics.body;
  }
}

TEST_F(GrpcServerTest, LookupsAreInTheFeatureLog) {
  pb::GetOnlineFeaturesRequest request;
  request.set_feature_service("churn_model");
  AddColumn(request.mutable_entities(), "customer_id", {Int(1), Int(2)});
  pb::GetOnlineFeaturesResponse response;
  ASSERT_TRUE(Lookup(request, &response).ok());
  server_->Shutdown(1);
  handlers_->StopLog();
  std::string logged;
  for (const auto& day : std::filesystem::directory_iterator(FeatureLogDir(dir_))) {
    for (const auto& part : std::filesystem::directory_iterator(day.path())) {
      std::ifstream in(part.path());
      logged.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  EXPECT_NE(logged.find("\"request_id\":\"" + response.request_id() + "\""), std::string::npos)
      << logged;
}

TEST_F(GrpcServerTest, ATakenPortIsAnErrorNamingIt) {
  GrpcServerOptions options;
  options.port = server_->port();
  auto second = GrpcServer::Listen(*handlers_, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(),
            "cannot serve gRPC on 127.0.0.1:" + std::to_string(server_->port()) +
                ": the address is in use, not local, or not allowed");
}

}  // namespace
}  // namespace fst::serving
