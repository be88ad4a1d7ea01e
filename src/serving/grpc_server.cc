#include "featherstone/serving/grpc_server.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <map>
#include <string_view>
#include <type_traits>
#include <variant>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "featherstone/serving/feast_json.h"
#include "featherstone/serving/push_json.h"
#include "featherstone/serving/v1/serving.grpc.pb.h"

namespace fst::serving {
namespace {

namespace pb = featherstone::serving::v1;

// The gRPC code of an endpoint's HTTP status (docs/serving.md "gRPC").
grpc::StatusCode CodeOf(int http_status) {
  switch (http_status) {
    case 400: return grpc::StatusCode::INVALID_ARGUMENT;
    case 401: return grpc::StatusCode::UNAUTHENTICATED;
    case 403: return grpc::StatusCode::PERMISSION_DENIED;
    case 404: return grpc::StatusCode::NOT_FOUND;
    case 413: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 422: return grpc::StatusCode::FAILED_PRECONDITION;
    case 503: return grpc::StatusCode::UNAVAILABLE;
    default: return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status ToGrpc(const EndpointError& error) { return {CodeOf(error.status), error.message}; }

grpc::Status Invalid(const Status& status) {
  return {grpc::StatusCode::INVALID_ARGUMENT, status.message()};
}

// The `authorization` metadata of a call ("Bearer TOKEN"), as the HTTP header.
std::string_view Authorization(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  return {it->second.data(), it->second.size()};
}

// A Value as the JSON value the JSON API would have been sent, so both transports read keys,
// request data and pushed rows through the same parsers (feast_json.h, push_json.h).
template <typename Json>
Json ToJson(const pb::Value& value) {
  switch (value.val_case()) {
    case pb::Value::kBytesVal: return value.bytes_val();
    case pb::Value::kStringVal: return value.string_val();
    case pb::Value::kInt32Val: return value.int32_val();
    case pb::Value::kInt64Val: return value.int64_val();
    case pb::Value::kDoubleVal: return value.double_val();
    case pb::Value::kFloatVal: return static_cast<double>(value.float_val());
    case pb::Value::kBoolVal: return value.bool_val();
    case pb::Value::kUnixTimestampVal: return value.unix_timestamp_val();
    case pb::Value::kStringListVal: {
      Json list = Json::array();
      for (const auto& item : value.string_list_val().val()) list.push_back(item);
      return list;
    }
    case pb::Value::kFloatListVal: {
      Json list = Json::array();
      for (float item : value.float_list_val().val()) list.push_back(static_cast<double>(item));
      return list;
    }
    case pb::Value::kNullVal:
    case pb::Value::VAL_NOT_SET: return nullptr;
  }
  return nullptr;
}

// {name: [values]} of a map of columns, or none when the map is empty (a missing field).
template <typename Json>
void PutColumns(const google::protobuf::Map<std::string, pb::RepeatedValue>& columns,
                const char* field, Json* doc) {
  if (columns.empty()) return;
  // Map order is unspecified: sorted by name, so messages naming "the first column" agree.
  std::map<std::string, const pb::RepeatedValue*> sorted;
  for (const auto& [name, values] : columns) sorted.emplace(name, &values);
  Json out = Json::object();
  for (const auto& [name, values] : sorted) {
    Json column = Json::array();
    for (const auto& value : values->val()) column.push_back(ToJson<Json>(value));
    out[name] = std::move(column);
  }
  (*doc)[field] = std::move(out);
}

Result<OnlineRequest> DecodeLookup(const pb::GetOnlineFeaturesRequest& request) {
  nlohmann::json doc = nlohmann::json::object();
  if (request.kind_case() == pb::GetOnlineFeaturesRequest::kFeatureService) {
    doc["feature_service"] = request.feature_service();
  } else if (request.kind_case() == pb::GetOnlineFeaturesRequest::kFeatures) {
    doc["features"] = nlohmann::json::array();
    for (const auto& feature : request.features().val()) doc["features"].push_back(feature);
  }
  PutColumns(request.entities(), "entities", &doc);
  PutColumns(request.request_data(), "request_data", &doc);
  doc["full_feature_names"] = request.full_feature_names();
  if (!request.at().empty()) doc["at"] = request.at();
  return OnlineRequestFromJson(doc);
}

Result<PushRequest> DecodePush(const pb::PushRequest& request) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  if (!request.push_source_name().empty()) doc["push_source_name"] = request.push_source_name();
  PutColumns(request.df(), "df", &doc);
  if (!request.to().empty()) doc["to"] = request.to();
  return PushRequestFromJson(doc);
}

void Encode(const retrieval::OnlineValue& value, core::ValueType type, pb::Value* out) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out->set_null_val(pb::NULL_);
        } else if constexpr (std::is_same_v<T, bool>) {
          out->set_bool_val(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (type == core::ValueType::kInt32) {
            out->set_int32_val(static_cast<int32_t>(v));
          } else {
            out->set_int64_val(v);
          }
        } else if constexpr (std::is_same_v<T, double>) {
          if (type == core::ValueType::kFloat32) {
            out->set_float_val(static_cast<float>(v));
          } else {
            out->set_double_val(v);
          }
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (type == core::ValueType::kBytes) {
            out->set_bytes_val(v);
          } else {
            out->set_string_val(v);
          }
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          out->mutable_float_list_val()->mutable_val()->Add(v.begin(), v.end());
        } else {
          for (const auto& item : v) out->mutable_string_list_val()->add_val(item);
        }
      },
      value);
}

pb::FieldStatus Encode(retrieval::FeatureStatus status) {
  switch (status) {
    case retrieval::FeatureStatus::kPresent: return pb::PRESENT;
    case retrieval::FeatureStatus::kNotFound: return pb::NOT_FOUND;
    case retrieval::FeatureStatus::kOutsideMaxAge: return pb::OUTSIDE_MAX_AGE;
  }
  return pb::INVALID;
}

// As BuildOnlineResponse (feast_json.h), in the proto's shape.
void Encode(const retrieval::OnlineRows& rows, const std::string& request_id,
            pb::GetOnlineFeaturesResponse* out) {
  auto* names = out->mutable_metadata()->mutable_feature_names();
  for (const auto& column : rows.columns) names->add_val(column);
  const int n = static_cast<int>(rows.rows.size());
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    auto* vector = out->add_results();
    vector->mutable_values()->Reserve(n);
    vector->mutable_statuses()->Reserve(n);
    vector->mutable_event_timestamps()->Reserve(n);
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      Encode(rows.rows[r][c], rows.types[c], vector->add_values());
      vector->add_statuses(Encode(rows.statuses[r][c]));
      // 0: no stored row; the minimum: a stored key without a row in range. Both: the epoch.
      int64_t ts = rows.event_ts[r][c];
      if (ts == std::numeric_limits<int64_t>::min()) ts = 0;
      auto* time = vector->add_event_timestamps();
      int64_t seconds = ts / 1'000'000, micros = ts % 1'000'000;
      if (micros < 0) {
        seconds -= 1;
        micros += 1'000'000;
      }
      time->set_seconds(seconds);
      time->set_nanos(static_cast<int32_t>(micros * 1000));
    }
  }
  out->set_request_id(request_id);
}

class Service final : public pb::FeatureServing::Service {
 public:
  explicit Service(Handlers& handlers) : handlers_(handlers) {}

  grpc::Status GetOnlineFeatures(grpc::ServerContext* context,
                                 const pb::GetOnlineFeaturesRequest* request,
                                 pb::GetOnlineFeaturesResponse* response) override {
    return Answer(Endpoint::kGetOnlineFeatures, [&]() -> grpc::Status {
      auto who = handlers_.Authenticate(Authorization(*context));
      if (const auto* refused = std::get_if<EndpointError>(&who)) return ToGrpc(*refused);
      auto parsed = DecodeLookup(*request);
      if (!parsed.ok()) return Invalid(parsed.status());
      auto failed = handlers_.GetOnlineFeatures(
          std::move(*parsed), std::get<const TokenEntry*>(who),
          [response](const retrieval::OnlineRows& rows, const std::string& request_id) {
            Encode(rows, request_id, response);
          });
      return failed.has_value() ? ToGrpc(*failed) : grpc::Status::OK;
    });
  }

  grpc::Status Push(grpc::ServerContext* context, const pb::PushRequest* request,
                    pb::PushResponse* response) override {
    return Answer(Endpoint::kPush, [&]() -> grpc::Status {
      auto who = handlers_.Authenticate(Authorization(*context));
      if (const auto* refused = std::get_if<EndpointError>(&who)) return ToGrpc(*refused);
      auto parsed = DecodePush(*request);
      if (!parsed.ok()) return Invalid(parsed.status());
      auto pushed = handlers_.Push(*parsed, std::get<const TokenEntry*>(who));
      if (const auto* failed = std::get_if<EndpointError>(&pushed)) return ToGrpc(*failed);
      const PushAnswer& answer = std::get<PushAnswer>(pushed);
      response->set_rows_written(answer.rows_written);
      response->set_rows_quarantined(answer.rows_quarantined);
      response->set_ingest_id(answer.ingest_id);
      for (const auto& warning : answer.warnings) response->add_warnings(warning);
      for (const auto& view : answer.materialized) {
        auto* item = response->add_materialized();
        item->set_view(view.view);
        item->set_keys_written(view.keys_written);
      }
      return grpc::Status::OK;
    });
  }

  grpc::Status Health(grpc::ServerContext*, const pb::HealthRequest*,
                      pb::HealthResponse* response) override {
    return Answer(Endpoint::kHealth, [&]() -> grpc::Status {
      // As grpc.health.v1: an unhealthy server answers, with NOT_SERVING.
      auto failed = handlers_.Health();
      response->set_status(failed.has_value() ? pb::HealthResponse::NOT_SERVING
                                              : pb::HealthResponse::SERVING);
      if (failed.has_value()) response->set_error(failed->message);
      return grpc::Status::OK;
    });
  }

 private:
  // Runs one call, counts it in the metrics by method and code; as the HTTP transport, a
  // library exception answers INTERNAL and the server goes on.
  template <typename Call>
  grpc::Status Answer(Endpoint endpoint, const Call& call) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status;
    try {
      status = call();
    } catch (const std::exception& e) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, std::string("internal error: ") + e.what());
    }
    handlers_.metrics().CountGrpcRequest(
        endpoint, static_cast<int>(status.error_code()),
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                              start)
            .count());
    return status;
  }

  Handlers& handlers_;
};

}  // namespace

struct GrpcServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
  uint16_t port = 0;
  bool shut_down = false;
};

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { Shutdown(0); }

Result<std::unique_ptr<GrpcServer>> GrpcServer::Listen(Handlers& handlers,
                                                       const GrpcServerOptions& options) {
  const bool v6 = options.host.find(':') != std::string::npos;
  const std::string where = (v6 ? "[" + options.host + "]" : options.host) + ":" +
                            std::to_string(options.port);
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<Service>(handlers);
  grpc::ServerBuilder builder;
  // Without this, gRPC binds with SO_REUSEPORT and shares a port another server holds.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.message_limit));
  // A call runs on the polling thread that took it, which starts a new poller when fewer than
  // MIN_POLLERS are left and, done, polls again unless MAX_POLLERS already do. With MAX equal
  // to MIN every call would create a thread (its thread exits after it); one more keeps the
  // threads (docs/benchmarks.md "gRPC against HTTP").
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              std::max(1, options.threads) + 1);
  int port = 0;
  builder.AddListeningPort(where, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(impl->service.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || port == 0) {
    return Status::IOError("cannot serve gRPC on ", where,
                           ": the address is in use, not local, or not allowed");
  }
  impl->port = static_cast<uint16_t>(port);
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

uint16_t GrpcServer::port() const { return impl_->port; }

void GrpcServer::Shutdown(int drain_seconds) {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::seconds(std::max(0, drain_seconds)));
  impl_->server->Wait();
}

}  // namespace fst::serving
