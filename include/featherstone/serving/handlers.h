// The endpoints of `featherstone serve`, independent of the transport. Each endpoint is one
// typed entry point (parsed request in, typed answer or EndpointError out) that both the HTTP
// transport (Handle: JSON in Feast's shapes, http_server.h) and the gRPC transport
// (grpc_server.h) call, so they differ only in decoding and encoding.
// Endpoints, bodies and status codes: docs/serving.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "featherstone/repo/repo_context.h"
#include "featherstone/serving/auth.h"
#include "featherstone/serving/feature_log.h"
#include "featherstone/serving/metrics.h"
#include "featherstone/serving/push_json.h"

namespace fst::serving {

struct OnlineRequest;  // feast_json.h

// The views point into the transport's request, valid while Handle runs.
struct HttpRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view target;  // "/get-online-features" (a query string is ignored)
  std::string_view authorization;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// A refused or failed request: the HTTP status it is answered with (400 bad input, 401, 403,
// 404 unknown name, 422 a push the contract refused, 500, 503) and the message of
// {"error": ...}; the gRPC transport maps the status to a code (docs/serving.md "gRPC").
struct EndpointError {
  int status = 500;
  std::string message;
};

// A typed answer, or why there is none.
template <typename T>
using Outcome = std::variant<T, EndpointError>;

// Writes a lookup's answer in the transport's shape: called once, on the request's thread,
// with the rows and the request id before the rows go to the feature log.
using EncodeRows =
    std::function<void(const retrieval::OnlineRows& rows, const std::string& request_id)>;

class Handlers {
 public:
  // Takes the opened repo, opens its online store and reads the applied definitions, their
  // spec hashes and the catalog. Definitions applied later (by any process sharing the
  // registry) are read again before the first request served after kRefreshMicros.
  // `tokens`: none = no authentication; else every endpoint but /health is denied unless a
  // token's scopes grant it (auth.h). `log`: none = no feature log.
  // Errors: those of RepoContext::Applied and Online.
  static Result<std::unique_ptr<Handlers>> Open(std::unique_ptr<repo::RepoContext> repo,
                                                std::optional<TokenFile> tokens,
                                                std::unique_ptr<FeatureLog> log);
  ~Handlers();

  // Answers one HTTP request (JSON bodies); thread-safe. The engine context is not
  // thread-safe, so lookups and pushes run under one mutex: lookups take ~10-20 µs, a push
  // (ingest + materialize) holds it for its whole run.
  HttpResponse Handle(const HttpRequest& request);

  // The typed entry points, thread-safe like Handle. `caller` is Authenticate's token.
  //
  // The token of `authorization` (an Authorization header's value, or gRPC's `authorization`
  // metadata): nullptr when auth is off. Errors: 401 when auth is on and it holds no bearer
  // token, or one that matches no entry.
  Outcome<const TokenEntry*> Authenticate(std::string_view authorization) const;
  // A lookup: scope check, feature resolution, retrieval::GetOnlineFeatures, `encode`, the
  // feature log's record and the lookup metrics. Errors: 403 for a missing scope (checked
  // before any name is looked up), 400/404 for the engine's errors; none when answered.
  std::optional<EndpointError> GetOnlineFeatures(OnlineRequest request, const TokenEntry* caller,
                                                 const EncodeRows& encode);
  // A push: scope check, ingest::PushJsonLines, then the online refresh of its views unless
  // request.to is kOffline. Errors: 403; 400 for data that does not read as the schema; 404
  // for an unknown source; 422 for a contract's verdict; 500 when the refresh failed.
  Outcome<PushAnswer> Push(const PushRequest& request, const TokenEntry* caller);
  // Whether the registry and the online store answer (no token needed). Errors: 503.
  std::optional<EndpointError> Health();

  // Writes the queued feature-log records and closes the log (at shutdown).
  void StopLog();

  Metrics& metrics() { return *metrics_; }

 private:
  Handlers() = default;
  // The JSON endpoints: decode the body, call the typed entry point, encode its answer.
  HttpResponse JsonGetOnlineFeatures(const std::string& body, const TokenEntry* caller);
  HttpResponse JsonPush(const std::string& body, const TokenEntry* caller);
  // A 403 when `caller` lacks one of `needed`; none when it has them all or auth is off.
  std::optional<EndpointError> Deny(const TokenEntry* caller, const std::vector<Scope>& needed);
  // The dashboard (dashboard.cc, docs/lineage.md): its files at /ui/ (no token needed: they
  // hold no data) and the JSON it reads at /api/... (scope `catalog`).
  HttpResponse Dashboard(const HttpRequest& request, std::string_view path,
                         const TokenEntry* caller);
  // Prometheus gauges read from the registry at scrape time: the breaker state of each source
  // with a breaker, and the age of each online view's materialization watermark.
  std::string StoreGauges();
  std::string NextRequestId();
  // A feature list or service as served: its refs, the metrics' counters of each one's view
  // and the service's latency histogram (null: not counted), the service's log sample rate
  // and the feature log's header of its responses.
  struct Resolved {
    std::vector<definitions::FeatureRef> refs;
    std::vector<Metrics::ViewCounters*> view_counters;
    LatencyHistogram* service_latency = nullptr;
    double log_sample_rate = 1.0;
    std::shared_ptr<const FeatureLogHeader> log_header;
  };
  // What the handlers derive from the applied definitions, replaced whole when they change;
  // a request works on the one it started with.
  struct Definitions {
    definitions::Repo applied;  // a copy: repo_ reloads its own
    std::map<std::string, std::string> spec_hashes;  // "kind/name" -> hash
    std::string catalog;                             // GET /features
    // "s:" + service or "f:" + features -> what it resolves to; at most kResolvedEntries
    // (then not added).
    mutable std::mutex resolved_mu;
    mutable std::unordered_map<std::string, std::shared_ptr<const Resolved>> resolved;
  };
  // Reads Definitions from repo_; the caller holds repo_mu_.
  Result<std::shared_ptr<const Definitions>> LoadDefinitions();
  // Reloads the definitions when an apply changed the registry since they were read, looking
  // at most every kRefreshMicros; a registry error keeps the loaded ones (Health reports it).
  void RefreshIfApplied();
  std::shared_ptr<const Definitions> CurrentDefinitions() const {
    return std::atomic_load(&definitions_);
  }
  // retrieval::ResolveFeatures, remembered in `definitions`: it plans every view it names
  // (parsing their expressions), and its answer depends only on the definitions.
  Result<std::shared_ptr<const Resolved>> Resolve(const Definitions& definitions,
                                                  const std::string& features,
                                                  const std::string& service);

  std::mutex repo_mu_;  // guards repo_ and everything reached through it
  std::unique_ptr<repo::RepoContext> repo_;
  std::shared_ptr<const Definitions> definitions_;  // std::atomic_load / std::atomic_store
  std::atomic<int64_t> next_refresh_us_{0};
  static constexpr int64_t kRefreshMicros = 1'000'000;
  static constexpr size_t kResolvedEntries = 4096;
  std::optional<TokenFile> tokens_;
  std::string project_;  // `project:` of featherstone.yaml, which tokens may be limited to
  std::unique_ptr<FeatureLog> log_;
  std::unique_ptr<Metrics> metrics_;
  uint64_t request_prefix_ = 0;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace fst::serving
