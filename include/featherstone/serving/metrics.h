// Counters and latency histograms of the server, in Prometheus text format (GET /metrics).
// Every update is a relaxed atomic add: request threads never take a lock to count. The
// views, services and token names are fixed at construction (a server's applied definitions
// and tokens never change).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "featherstone/retrieval/online_lookup.h"

namespace fst::serving {

// The routes counted by name; anything else is kOther.
enum class Endpoint { kGetOnlineFeatures, kPush, kHealth, kMetrics, kFeatures, kOther };
inline constexpr size_t kEndpointCount = 6;

// "/get-online-features", ..., "other".
const char* EndpointLabel(Endpoint endpoint);
// The gRPC method of an endpoint: "GetOnlineFeatures", "Push", "Health"; "other" for the rest.
const char* GrpcMethodLabel(Endpoint endpoint);
// gRPC's status codes (grpc::StatusCode), 0 OK to 16 UNAUTHENTICATED.
inline constexpr size_t kGrpcCodeCount = 17;

// A latency histogram with fixed buckets from 50 µs to 10 s.
class LatencyHistogram {
 public:
  static constexpr std::array<int64_t, 17> kBoundsMicros = {
      50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000,
      500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

  void Observe(int64_t micros);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Appends NAME_bucket{LABELS,le=...} (cumulative), NAME_sum (seconds) and NAME_count.
  void Format(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsMicros.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

// What the feature log reports (feature_log.h fills it).
struct FeatureLogCounters {
  int64_t queued = 0;        // accepted, not yet written to a file: the log's lag
  int64_t written = 0;       // records written
  int64_t dropped = 0;       // refused because the queue was full
  int64_t write_errors = 0;  // failed writes (their records are counted as dropped too)
  int64_t sampled_out = 0;   // left out by the service's logging sample rate
  int64_t published_parts = 0;  // sealed parts published as Parquet (feedback/log_publisher.h)
  int64_t publish_errors = 0;   // failed publishes (the part stays and is retried)
};

class Metrics {
 public:
  // The NOT_FOUND and OUTSIDE_MAX_AGE counts of one view.
  struct ViewCounters {
    std::atomic<uint64_t> not_found{0};
    std::atomic<uint64_t> outside_max_age{0};
  };
  // `views`: feature views and on-demand views; `services`: feature services; `tokens`: the
  // names of the serving tokens (auth.h).
  Metrics(const std::vector<std::string>& views, const std::vector<std::string>& services,
          const std::vector<std::string>& tokens = {});

  // One answered request: its route, HTTP status and time from read to response.
  void CountRequest(Endpoint endpoint, int status, int64_t micros);
  // One answered gRPC call: its method, status code (0..16) and time from read to response.
  void CountGrpcRequest(Endpoint endpoint, int code, int64_t micros);
  // The latency histogram of lookups by `service`; nullptr for a name not given at
  // construction. Looked up once per service: a lookup observes its time there.
  LatencyHistogram* ServiceLatency(const std::string& service);
  // The counters of each of `views` (nullptr for a name not given at construction), for
  // CountLookup; looked up once per feature list.
  std::vector<ViewCounters*> FindViews(const std::vector<std::string>& views);
  // Entity rows answered, and per view the features that were NOT_FOUND or OUTSIDE_MAX_AGE.
  // `views[i]` counts feature column key_columns + i of `rows` (FindViews; null: not counted).
  void CountLookup(const retrieval::OnlineRows& rows, const std::vector<ViewCounters*>& views);
  void CountPush(int64_t rows_written, int64_t rows_quarantined);
  // A request by the token named `token` that its scopes allowed or not (names not given at
  // construction are ignored).
  void CountToken(const std::string& token, bool allowed);

  // The Prometheus text exposition of everything above and of `log`.
  std::string Format(const FeatureLogCounters& log) const;

 private:
  static constexpr std::array<int, 10> kCodes = {200, 400, 401, 403, 404, 405, 413, 422, 500, 503};
  // [endpoint][code index]; the last index counts other codes.
  std::array<std::array<std::atomic<uint64_t>, kCodes.size() + 1>, kEndpointCount> requests_{};
  std::array<LatencyHistogram, kEndpointCount> latency_;
  // [endpoint][gRPC code]
  std::array<std::array<std::atomic<uint64_t>, kGrpcCodeCount>, kEndpointCount> grpc_requests_{};
  std::array<LatencyHistogram, kEndpointCount> grpc_latency_;
  std::map<std::string, std::unique_ptr<LatencyHistogram>> services_;
  std::map<std::string, std::unique_ptr<ViewCounters>> views_;
  struct TokenCounters {
    std::atomic<uint64_t> allowed{0};
    std::atomic<uint64_t> forbidden{0};
  };
  std::map<std::string, std::unique_ptr<TokenCounters>> tokens_;
  std::atomic<uint64_t> rows_served_{0};
  std::atomic<uint64_t> push_written_{0};
  std::atomic<uint64_t> push_quarantined_{0};
};

}  // namespace fst::serving
