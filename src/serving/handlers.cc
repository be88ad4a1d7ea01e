#include "featherstone/serving/handlers.h"

#include <chrono>
#include <exception>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/time.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/ingest/breaker.h"
#include "featherstone/ingest/push.h"
#include "featherstone/lineage/emitter.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/refresh_online.h"
#include "featherstone/serving/feast_json.h"
#include "featherstone/serving/push_json.h"

namespace fst::serving {
namespace {

using ojson = nlohmann::ordered_json;

HttpResponse Json(int status, std::string body) {
  return {status, "application/json", std::move(body)};
}

HttpResponse Error(int status, const std::string& message) {
  return Json(status, ErrorBody(message));
}

HttpResponse Error(const EndpointError& error) { return Error(error.status, error.message); }

// The HTTP status of an engine error: unknown names 404, bad input 400, the rest 500.
EndpointError EngineError(const Status& status) {
  if (status.IsKeyError()) return {404, status.message()};
  if (status.IsInvalid() || status.IsTypeError()) return {400, status.message()};
  return {500, status.message()};
}

Endpoint Route(std::string_view path) {
  if (path == "/get-online-features") return Endpoint::kGetOnlineFeatures;
  if (path == "/push") return Endpoint::kPush;
  if (path == "/health") return Endpoint::kHealth;
  if (path == "/metrics") return Endpoint::kMetrics;
  if (path == "/features") return Endpoint::kFeatures;
  return Endpoint::kOther;
}

const char* Method(Endpoint endpoint) {
  return endpoint == Endpoint::kGetOnlineFeatures || endpoint == Endpoint::kPush ? "POST" : "GET";
}

// A kind's name in the plural, as the catalog groups objects ("entity" -> "entities").
std::string Plural(const std::string& kind) {
  return kind.ends_with("y") ? kind.substr(0, kind.size() - 1) + "ies" : kind + "s";
}

// The catalog of GET /features: the applied objects grouped by kind.
std::string Catalog(const std::vector<registry::ObjectRecord>& records) {
  ojson out = ojson::object();
  for (std::string_view kind : definitions::kSpecKinds) out[Plural(std::string(kind))] = ojson::array();
  for (const auto& record : records) {
    ojson item = ojson::object();
    item["name"] = record.object.name;
    item["version"] = record.version;
    item["spec_hash"] = record.object.hash;
    item["applied_at"] = core::FormatTimestamp(record.applied_at);
    item["spec"] = ojson::parse(record.object.spec.dump());
    out[Plural(record.object.kind)].push_back(std::move(item));
  }
  return out.dump(2, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace

Result<std::unique_ptr<Handlers>> Handlers::Open(std::unique_ptr<repo::RepoContext> repo,
                                                 std::optional<TokenFile> tokens,
                                                 std::unique_ptr<FeatureLog> log) {
  std::unique_ptr<Handlers> handlers(new Handlers());
  FST_RETURN_NOT_OK(repo->Online().status());
  FST_ASSIGN_OR_RAISE(auto settings, definitions::LoadSettings(repo->dir()));
  handlers->project_ = settings.project;
  handlers->repo_ = std::move(repo);
  FST_ASSIGN_OR_RAISE(handlers->definitions_, handlers->LoadDefinitions());
  handlers->next_refresh_us_ = core::NowMicros() + kRefreshMicros;
  const definitions::Repo& applied = handlers->definitions_->applied;
  std::vector<std::string> views, services;
  for (const auto& view : applied.feature_views) views.push_back(view.name);
  for (const auto& view : applied.on_demand_feature_views) views.push_back(view.name);
  for (const auto& service : applied.feature_services) services.push_back(service.name);
  std::vector<std::string> token_names;
  if (tokens.has_value()) {
    for (const auto& token : tokens->tokens()) token_names.push_back(token.name);
  }
  handlers->metrics_ = std::make_unique<Metrics>(views, services, token_names);
  handlers->tokens_ = std::move(tokens);
  handlers->log_ = std::move(log);
  handlers->request_prefix_ = std::random_device()() & 0xffffffffu;
  return handlers;
}

Handlers::~Handlers() { StopLog(); }

Result<std::shared_ptr<const Handlers::Definitions>> Handlers::LoadDefinitions() {
  auto loaded = std::make_shared<Definitions>();
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo_->Applied());
  loaded->applied = *applied;
  // The records of the definitions just loaded: an apply in between is seen at the next
  // refresh, as LatestApplyId was noted before them.
  FST_ASSIGN_OR_RAISE(auto records, repo_->registry().List());
  for (const auto& record : records) {
    loaded->spec_hashes[record.object.kind + "/" + record.object.name] = record.object.hash;
  }
  loaded->catalog = Catalog(records);
  return loaded;
}

void Handlers::RefreshIfApplied() {
  const int64_t now = core::NowMicros();
  int64_t next = next_refresh_us_.load(std::memory_order_relaxed);
  if (now < next || !next_refresh_us_.compare_exchange_strong(next, now + kRefreshMicros)) {
    return;
  }
  std::lock_guard<std::mutex> lock(repo_mu_);
  auto reload = repo_->ReloadIfApplied();
  if (!reload.ok() || !*reload) return;
  auto loaded = LoadDefinitions();
  if (loaded.ok()) std::atomic_store(&definitions_, std::move(*loaded));
}

void Handlers::StopLog() {
  if (log_ != nullptr) log_->Stop();
}

std::string Handlers::NextRequestId() {
  const uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed) + 1;
  return fmt::format("{:08x}-{:012x}", request_prefix_, n);
}

HttpResponse Handlers::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view path = request.target;
  if (const size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  const Endpoint endpoint = Route(path);
  HttpResponse response;
  if (path == "/" || path.starts_with("/ui") || path.starts_with("/api/")) {
    const TokenEntry* caller = nullptr;
    if (tokens_.has_value()) {
      if (auto bearer = BearerToken(request.authorization)) caller = tokens_->Find(*bearer);
    }
    try {
      response = Dashboard(request, path, caller);
    } catch (const std::exception& e) {
      response = Error(500, std::string("internal error: ") + e.what());
    }
    metrics_->CountRequest(endpoint, response.status,
                           std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now() - start).count());
    return response;
  }
  Outcome<const TokenEntry*> who = nullptr;
  if (endpoint != Endpoint::kHealth) who = Authenticate(request.authorization);
  if (endpoint == Endpoint::kOther) {
    response = Error(404, fmt::format("no endpoint {}; endpoints: POST /get-online-features, "
                                      "POST /push, GET /health, GET /metrics, GET /features",
                                      path));
  } else if (const auto* refused = std::get_if<EndpointError>(&who)) {
    response = Error(*refused);
  } else if (request.method != Method(endpoint)) {
    response = Error(405, fmt::format("{} takes {}", path, Method(endpoint)));
  } else {
    const TokenEntry* caller = std::get<const TokenEntry*>(who);
    // As the CLI's main(): a library exception answers 500 and the server goes on.
    try {
      switch (endpoint) {
        case Endpoint::kGetOnlineFeatures:
          response = JsonGetOnlineFeatures(request.body, caller);
          break;
        case Endpoint::kPush: response = JsonPush(request.body, caller); break;
        case Endpoint::kHealth:
          if (auto failed = Health()) {
            response = Json(failed->status, ojson({{"status", "unavailable"},
                                                   {"error", failed->message}}).dump());
          } else {
            response = Json(200, R"({"status":"ok"})");
          }
          break;
        case Endpoint::kMetrics:
          if (auto denied = Deny(caller, {{ScopeKind::kMetrics, ""}})) {
            response = Error(*denied);
            break;
          }
          response = {200, "text/plain; version=0.0.4; charset=utf-8",
                      metrics_->Format(log_ != nullptr ? log_->Counters() : FeatureLogCounters{}) +
                          StoreGauges()};
          break;
        case Endpoint::kFeatures:
          if (auto denied = Deny(caller, {{ScopeKind::kCatalog, ""}})) {
            response = Error(*denied);
            break;
          }
          RefreshIfApplied();
          response = Json(200, CurrentDefinitions()->catalog);
          break;
        case Endpoint::kOther: break;
      }
    } catch (const std::exception& e) {
      response = Error(500, std::string("internal error: ") + e.what());
    }
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start).count();
  metrics_->CountRequest(endpoint, response.status, micros);
  return response;
}

Outcome<const TokenEntry*> Handlers::Authenticate(std::string_view authorization) const {
  if (!tokens_.has_value()) return nullptr;
  const std::optional<std::string_view> bearer = BearerToken(authorization);
  if (!bearer.has_value()) {
    return EndpointError{401, "missing bearer token: send 'Authorization: Bearer TOKEN'"};
  }
  const TokenEntry* caller = tokens_->Find(*bearer);
  if (caller == nullptr) return EndpointError{401, "unknown bearer token"};
  return caller;
}

std::optional<EndpointError> Handlers::Deny(const TokenEntry* caller,
                                            const std::vector<Scope>& needed) {
  if (caller == nullptr) return std::nullopt;
  const Status access = CheckAccess(*caller, project_, needed);
  metrics_->CountToken(caller->name, access.ok());
  if (access.ok()) return std::nullopt;
  return EndpointError{403, access.message()};
}

Result<std::shared_ptr<const Handlers::Resolved>> Handlers::Resolve(
    const Definitions& definitions, const std::string& features, const std::string& service) {
  const std::string key = service.empty() ? "f:" + features : "s:" + service;
  {
    std::lock_guard<std::mutex> lock(definitions.resolved_mu);
    auto it = definitions.resolved.find(key);
    if (it != definitions.resolved.end()) return it->second;
  }
  auto resolved = std::make_shared<Resolved>();
  FST_ASSIGN_OR_RAISE(resolved->refs,
                      retrieval::ResolveFeatures(definitions.applied, features, service));
  // The definitions that serve it: the service, then each view read, once.
  std::vector<std::pair<std::string, std::string>> hashes;
  std::set<std::string> seen;
  auto add_hash = [&](const std::string& key) {
    auto it = definitions.spec_hashes.find(key);
    if (it != definitions.spec_hashes.end() && seen.insert(key).second) {
      hashes.emplace_back(key, it->second);
    }
  };
  if (!service.empty()) {
    add_hash("feature_service/" + service);
    resolved->service_latency = metrics_->ServiceLatency(service);
    if (const auto* applied = definitions.applied.FindService(service)) {
      resolved->log_sample_rate = applied->log_sample_rate;
    }
  }
  std::vector<std::string> names, views;
  for (const auto& ref : resolved->refs) {
    views.push_back(ref.view);
    names.push_back(ref.ToString());
    add_hash("feature_view/" + ref.view);
    add_hash("on_demand_feature_view/" + ref.view);
  }
  resolved->view_counters = metrics_->FindViews(views);
  resolved->log_header = MakeFeatureLogHeader(service, std::move(names), std::move(hashes));
  std::shared_ptr<const Resolved> shared = std::move(resolved);
  std::lock_guard<std::mutex> lock(definitions.resolved_mu);
  if (definitions.resolved.size() < kResolvedEntries) definitions.resolved.emplace(key, shared);
  return shared;
}

HttpResponse Handlers::JsonGetOnlineFeatures(const std::string& body,
                                             const TokenEntry* caller) {
  auto parsed = ParseOnlineRequest(body);
  if (!parsed.ok()) return Error(400, parsed.status().message());
  HttpResponse response;
  auto failed = GetOnlineFeatures(std::move(*parsed), caller,
                                  [&response](const retrieval::OnlineRows& rows,
                                              const std::string& request_id) {
                                    response = Json(200, BuildOnlineResponse(rows, request_id));
                                  });
  if (failed.has_value()) return Error(*failed);
  return response;
}

std::optional<EndpointError> Handlers::GetOnlineFeatures(OnlineRequest request,
                                                         const TokenEntry* caller,
                                                         const EncodeRows& encode) {
  const auto start = std::chrono::steady_clock::now();
  if (caller != nullptr) {
    auto needed = LookupScopes(request.feature_service, request.features);
    if (!needed.ok()) return EndpointError{400, needed.status().message()};
    if (auto denied = Deny(caller, *needed)) return denied;
  }
  RefreshIfApplied();
  const std::shared_ptr<const Definitions> definitions = CurrentDefinitions();
  std::string features;
  for (const auto& f : request.features) features += (features.empty() ? "" : ",") + f;
  auto resolved = Resolve(*definitions, features, request.feature_service);
  if (!resolved.ok()) return EngineError(resolved.status());
  const Resolved& served = **resolved;
  const int64_t served_at = core::NowMicros();
  const int64_t at = request.at.value_or(served_at);
  Result<retrieval::OnlineRows> rows;
  {
    std::lock_guard<std::mutex> lock(repo_mu_);
    rows = retrieval::GetOnlineFeatures(*repo_, served.refs, request.entities, at,
                                        request.full_feature_names, request.requests);
  }
  if (!rows.ok()) return EngineError(rows.status());
  const std::string request_id = NextRequestId();
  encode(*rows, request_id);

  metrics_->CountLookup(*rows, served.view_counters);
  if (served.service_latency != nullptr) {
    served.service_latency->Observe(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now() - start).count());
  }
  if (log_ != nullptr && log_->Sampled(request_id, served.log_sample_rate)) {
    FeatureLogRecord record;
    record.request_id = request_id;
    record.served_at_us = served_at;
    record.at_us = at;
    record.header = served.log_header;
    record.requests = std::move(request.requests);
    record.rows = std::move(*rows);
    log_->Append(std::move(record));
  }
  return std::nullopt;
}

HttpResponse Handlers::JsonPush(const std::string& body, const TokenEntry* caller) {
  auto parsed = ParsePushRequest(body);
  if (!parsed.ok()) return Error(400, parsed.status().message());
  auto pushed = Push(*parsed, caller);
  if (const auto* failed = std::get_if<EndpointError>(&pushed)) return Error(*failed);
  return Json(200, BuildPushResponse(std::get<PushAnswer>(pushed)));
}

Outcome<PushAnswer> Handlers::Push(const PushRequest& request, const TokenEntry* caller) {
  if (auto denied = Deny(caller, {{ScopeKind::kPushSource, request.source}})) return *denied;
  RefreshIfApplied();
  std::lock_guard<std::mutex> lock(repo_mu_);
  ingest::IngestOptions options;
  options.now_us = core::NowMicros();
  options.per_event = true;  // as `featherstone push`: an event that does not decode is quarantined
  auto result = ingest::PushJsonLines(*repo_, request.source, request.events,
                                      "push to '" + request.source + "'", options);
  if (!result.ok()) {
    if (!result.status().IsInvalid()) return EngineError(result.status());
    // A contract's verdict (rejected, breaker tripped or open, every row quarantined) is 422;
    // data that cannot be read as the schema is 400. A verdict leaves a quality run at this
    // run's time, or an open breaker that refused the run before it began.
    auto runs = repo_->registry().ListQualityRuns(request.source, 1);
    auto breaker = repo_->registry().GetBreaker(request.source);
    const bool verdict =
        (runs.ok() && !runs->empty() && runs->front().run_at == options.now_us) ||
        (breaker.ok() && breaker->has_value() && (*breaker)->state == "OPEN");
    return EndpointError{verdict ? 422 : 400, result.status().message()};
  }
  metrics_->CountPush(result->rows, result->rows_quarantined);
  PushAnswer answer;
  answer.rows_written = result->rows;
  answer.rows_quarantined = result->rows_quarantined;
  answer.ingest_id = result->ingest_id;
  answer.warnings = std::move(result->warnings);
  if (request.to != PushTarget::kOffline) {
    // The same refresh as `featherstone push`: incremental, hence exact (docs/serving.md).
    auto done = retrieval::RefreshOnline(*repo_, request.source);
    if (!done.ok()) {
      return EndpointError{500, fmt::format("rows written to the offline store (ingest #{}) but "
                                            "the online store was not refreshed: {}",
                                            result->ingest_id, done.status().message())};
    }
    answer.materialized = std::move(*done);
  }
  return answer;
}

std::optional<EndpointError> Handlers::Health() {
  // A push holds the repo for its whole run: health then answers from the fact that the stores,
  // opened at start, are in use, instead of waiting behind it.
  std::unique_lock<std::mutex> lock(repo_mu_, std::try_to_lock);
  if (lock.owns_lock()) {
    Status status = repo_->Online().status();
    if (status.ok()) status = repo_->registry().ListBreakers().status();
    if (!status.ok()) return EndpointError{503, status.message()};
  }
  return std::nullopt;
}

std::string Handlers::StoreGauges() {
  std::lock_guard<std::mutex> lock(repo_mu_);
  const int64_t now = core::NowMicros();
  std::string out;
  auto breakers = ingest::GetBreakerStatus(*repo_, "", now);
  if (breakers.ok()) {
    out += "# HELP fst_breaker_state Circuit breaker of a source: 0 CLOSED, 1 HALF_OPEN, 2 OPEN.\n"
           "# TYPE fst_breaker_state gauge\n";
    for (const auto& b : *breakers) {
      const int value = b.state == quality::BreakerState::kOpen       ? 2
                        : b.state == quality::BreakerState::kHalfOpen ? 1
                                                                      : 0;
      out += fmt::format("fst_breaker_state{{source=\"{}\"}} {}\n", b.source, value);
    }
  }
  out += "# HELP fst_materialization_watermark_age_seconds Time since the event time an online "
         "view is materialized up to.\n"
         "# TYPE fst_materialization_watermark_age_seconds gauge\n";
  for (const auto& view : CurrentDefinitions()->applied.feature_views) {
    if (!view.online) continue;
    auto watermark = repo_->registry().GetWatermark(view.name);
    if (!watermark.ok() || !watermark->has_value()) continue;
    out += fmt::format("fst_materialization_watermark_age_seconds{{view=\"{}\"}} {:.3f}\n",
                       view.name, static_cast<double>(now - (*watermark)->end_ts) / 1e6);
  }
  // The latest `featherstone skew` run of each service (docs/feedback.md).
  auto runs = repo_->registry().ListSkewRuns("", 1000);
  if (runs.ok() && !runs->empty()) {
    out += "# HELP fst_skew_differing_ratio Share of served values that differ from their "
           "offline recomputation, in the latest skew run of a service.\n"
           "# TYPE fst_skew_differing_ratio gauge\n";
    std::set<std::string> seen;
    std::string age;
    for (const auto& run : *runs) {  // newest first
      if (!seen.insert(run.service).second) continue;
      const std::string service = run.service.empty() ? "*" : run.service;
      out += fmt::format("fst_skew_differing_ratio{{service=\"{}\"}} {:.6f}\n", service,
                         run.values == 0 ? 0.0
                                         : static_cast<double>(run.differing) /
                                               static_cast<double>(run.values));
      age += fmt::format("fst_skew_run_age_seconds{{service=\"{}\"}} {:.3f}\n", service,
                         static_cast<double>(now - run.run_at) / 1e6);
    }
    out += "# HELP fst_skew_run_age_seconds Time since that skew run.\n"
           "# TYPE fst_skew_run_age_seconds gauge\n" + age;
  }
  // Every process's lineage events a sink did not take (docs/lineage.md "Sinks").
  out += "# HELP fst_lineage_failed_events_total OpenLineage events a sink (HTTP collector, "
         "file, registry) did not take, after retries.\n"
         "# TYPE fst_lineage_failed_events_total counter\n";
  out += fmt::format("fst_lineage_failed_events_total {}\n",
                     lineage::CountFailedEvents(repo_->fs(), repo_->dir()));
  return out;
}

}  // namespace fst::serving
