#include "featherstone/serving/metrics.h"

#include <fmt/format.h>

namespace fst::serving {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The names of gRPC's status codes, by number.
constexpr std::array<const char*, kGrpcCodeCount> kGrpcCodes = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED"};

void Header(const char* name, const char* type, const char* help, std::string* out) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

const char* EndpointLabel(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kGetOnlineFeatures: return "/get-online-features";
    case Endpoint::kPush: return "/push";
    case Endpoint::kHealth: return "/health";
    case Endpoint::kMetrics: return "/metrics";
    case Endpoint::kFeatures: return "/features";
    case Endpoint::kOther: return "other";
  }
  return "other";
}

const char* GrpcMethodLabel(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kGetOnlineFeatures: return "GetOnlineFeatures";
    case Endpoint::kPush: return "Push";
    case Endpoint::kHealth: return "Health";
    default: return "other";
  }
}

void LatencyHistogram::Observe(int64_t micros) {
  size_t b = 0;
  while (b < kBoundsMicros.size() && micros > kBoundsMicros[b]) ++b;
  buckets_[b].fetch_add(1, kRelaxed);
  count_.fetch_add(1, kRelaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::max<int64_t>(micros, 0)), kRelaxed);
}

void LatencyHistogram::Format(const std::string& name, const std::string& labels,
                              std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBoundsMicros.size(); ++b) {
    cumulative += buckets_[b].load(kRelaxed);
    const std::string le = b < kBoundsMicros.size()
                               ? fmt::format("{}", static_cast<double>(kBoundsMicros[b]) / 1e6)
                               : "+Inf";
    *out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  *out += fmt::format("{}_sum{} {}\n", name, braces,
                      static_cast<double>(sum_micros_.load(kRelaxed)) / 1e6);
  *out += fmt::format("{}_count{} {}\n", name, braces, cumulative);
}

Metrics::Metrics(const std::vector<std::string>& views, const std::vector<std::string>& services,
                 const std::vector<std::string>& tokens) {
  for (const auto& token : tokens) tokens_.emplace(token, std::make_unique<TokenCounters>());
  for (const auto& view : views) views_.emplace(view, std::make_unique<ViewCounters>());
  for (const auto& service : services) {
    services_.emplace(service, std::make_unique<LatencyHistogram>());
  }
}

void Metrics::CountRequest(Endpoint endpoint, int status, int64_t micros) {
  size_t code = kCodes.size();
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i] == status) code = i;
  }
  const size_t e = static_cast<size_t>(endpoint);
  requests_[e][code].fetch_add(1, kRelaxed);
  latency_[e].Observe(micros);
}

void Metrics::CountGrpcRequest(Endpoint endpoint, int code, int64_t micros) {
  const size_t c = code >= 0 && static_cast<size_t>(code) < kGrpcCodeCount
                       ? static_cast<size_t>(code)
                       : 2;  // UNKNOWN
  const size_t e = static_cast<size_t>(endpoint);
  grpc_requests_[e][c].fetch_add(1, kRelaxed);
  grpc_latency_[e].Observe(micros);
}

LatencyHistogram* Metrics::ServiceLatency(const std::string& service) {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : it->second.get();
}

std::vector<Metrics::ViewCounters*> Metrics::FindViews(const std::vector<std::string>& views) {
  std::vector<ViewCounters*> out;
  out.reserve(views.size());
  for (const auto& view : views) {
    auto it = views_.find(view);
    out.push_back(it == views_.end() ? nullptr : it->second.get());
  }
  return out;
}

void Metrics::CountLookup(const retrieval::OnlineRows& rows,
                          const std::vector<ViewCounters*>& views) {
  rows_served_.fetch_add(rows.rows.size(), kRelaxed);
  for (size_t f = 0; f < views.size(); ++f) {
    ViewCounters* counters = views[f];
    if (counters == nullptr) continue;
    const size_t c = rows.key_columns + f;
    uint64_t not_found = 0, outside = 0;
    for (const auto& statuses : rows.statuses) {
      if (c >= statuses.size()) break;
      not_found += statuses[c] == retrieval::FeatureStatus::kNotFound;
      outside += statuses[c] == retrieval::FeatureStatus::kOutsideMaxAge;
    }
    if (not_found > 0) counters->not_found.fetch_add(not_found, kRelaxed);
    if (outside > 0) counters->outside_max_age.fetch_add(outside, kRelaxed);
  }
}

void Metrics::CountPush(int64_t rows_written, int64_t rows_quarantined) {
  push_written_.fetch_add(static_cast<uint64_t>(rows_written), kRelaxed);
  push_quarantined_.fetch_add(static_cast<uint64_t>(rows_quarantined), kRelaxed);
}

void Metrics::CountToken(const std::string& token, bool allowed) {
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return;
  (allowed ? it->second->allowed : it->second->forbidden).fetch_add(1, kRelaxed);
}

std::string Metrics::Format(const FeatureLogCounters& log) const {
  std::string out;
  Header("fst_http_requests_total", "counter",
         "HTTP requests answered, by endpoint and status code.", &out);
  for (size_t e = 0; e < kEndpointCount; ++e) {
    const char* endpoint = EndpointLabel(static_cast<Endpoint>(e));
    for (size_t c = 0; c <= kCodes.size(); ++c) {
      const uint64_t n = requests_[e][c].load(kRelaxed);
      if (n == 0) continue;
      const std::string code = c < kCodes.size() ? std::to_string(kCodes[c]) : "other";
      out += fmt::format("fst_http_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n", endpoint,
                         code, n);
    }
  }
  Header("fst_http_request_duration_seconds", "histogram",
         "Time from a request read to its response built, by endpoint.", &out);
  for (size_t e = 0; e < kEndpointCount; ++e) {
    if (latency_[e].count() == 0) continue;
    latency_[e].Format("fst_http_request_duration_seconds",
                       fmt::format("endpoint=\"{}\"", EndpointLabel(static_cast<Endpoint>(e))),
                       &out);
  }
  Header("fst_grpc_requests_total", "counter",
         "gRPC calls answered (serve --grpc-port), by method and status code.", &out);
  for (size_t e = 0; e < kEndpointCount; ++e) {
    for (size_t c = 0; c < kGrpcCodeCount; ++c) {
      const uint64_t n = grpc_requests_[e][c].load(kRelaxed);
      if (n == 0) continue;
      out += fmt::format("fst_grpc_requests_total{{method=\"{}\",code=\"{}\"}} {}\n",
                         GrpcMethodLabel(static_cast<Endpoint>(e)), kGrpcCodes[c], n);
    }
  }
  Header("fst_grpc_request_duration_seconds", "histogram",
         "Time from a gRPC call read to its response built, by method.", &out);
  for (size_t e = 0; e < kEndpointCount; ++e) {
    if (grpc_latency_[e].count() == 0) continue;
    grpc_latency_[e].Format(
        "fst_grpc_request_duration_seconds",
        fmt::format("method=\"{}\"", GrpcMethodLabel(static_cast<Endpoint>(e))), &out);
  }
  Header("fst_online_service_duration_seconds", "histogram",
         "Latency of online lookups (HTTP and gRPC) by feature service.", &out);
  for (const auto& [service, histogram] : services_) {
    if (histogram->count() == 0) continue;
    histogram->Format("fst_online_service_duration_seconds",
                      fmt::format("service=\"{}\"", Escape(service)), &out);
  }
  Header("fst_online_rows_served_total", "counter", "Entity rows answered by online lookups.",
         &out);
  out += fmt::format("fst_online_rows_served_total {}\n", rows_served_.load(kRelaxed));
  Header("fst_online_feature_status_total", "counter",
         "Feature values served without a current row, by view and status.", &out);
  for (const auto& [view, counters] : views_) {
    out += fmt::format("fst_online_feature_status_total{{view=\"{}\",status=\"NOT_FOUND\"}} {}\n",
                       Escape(view), counters->not_found.load(kRelaxed));
    out += fmt::format(
        "fst_online_feature_status_total{{view=\"{}\",status=\"OUTSIDE_MAX_AGE\"}} {}\n",
        Escape(view), counters->outside_max_age.load(kRelaxed));
  }
  Header("fst_push_rows_total", "counter", "Rows pushed, by outcome.", &out);
  out += fmt::format("fst_push_rows_total{{outcome=\"written\"}} {}\n",
                     push_written_.load(kRelaxed));
  out += fmt::format("fst_push_rows_total{{outcome=\"quarantined\"}} {}\n",
                     push_quarantined_.load(kRelaxed));
  if (!tokens_.empty()) {
    Header("fst_auth_token_requests_total", "counter",
           "Requests by each serving token, by whether its scopes allowed them.", &out);
    for (const auto& [token, counters] : tokens_) {
      for (bool allowed : {true, false}) {
        out += fmt::format("fst_auth_token_requests_total{{token=\"{}\",outcome=\"{}\"}} {}\n",
                           Escape(token), allowed ? "allowed" : "forbidden",
                           (allowed ? counters->allowed : counters->forbidden).load(kRelaxed));
      }
    }
  }
  Header("fst_feature_log_queued_records", "gauge",
         "Feature-log records accepted but not yet written (the log's lag).", &out);
  out += fmt::format("fst_feature_log_queued_records {}\n", log.queued);
  Header("fst_feature_log_records_written_total", "counter", "Feature-log records written.", &out);
  out += fmt::format("fst_feature_log_records_written_total {}\n", log.written);
  Header("fst_feature_log_records_dropped_total", "counter",
         "Feature-log records lost: queue full or a failed write.", &out);
  out += fmt::format("fst_feature_log_records_dropped_total {}\n", log.dropped);
  Header("fst_feature_log_write_errors_total", "counter", "Failed feature-log writes.", &out);
  out += fmt::format("fst_feature_log_write_errors_total {}\n", log.write_errors);
  Header("fst_feature_log_records_sampled_out_total", "counter",
         "Responses not logged because of their service's logging sample_rate.", &out);
  out += fmt::format("fst_feature_log_records_sampled_out_total {}\n", log.sampled_out);
  Header("fst_feature_log_parts_published_total", "counter",
         "Feature-log parts published as Parquet into the services' log sources.", &out);
  out += fmt::format("fst_feature_log_parts_published_total {}\n", log.published_parts);
  Header("fst_feature_log_publish_errors_total", "counter",
         "Failed publishes of feature-log parts (the part stays and is retried).", &out);
  out += fmt::format("fst_feature_log_publish_errors_total {}\n", log.publish_errors);
  return out;
}

}  // namespace fst::serving
