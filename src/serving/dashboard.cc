// The dashboard's endpoints: the files of web/ at /ui/ and the JSON they read at /api/.
#include <cctype>

#include <nlohmann/json.hpp>

#include "featherstone/core/time.h"
#include "featherstone/ingest/breaker.h"
#include "featherstone/ingest/quality_history.h"
#include "featherstone/ingest/quarantine.h"
#include "featherstone/lineage/catalog.h"
#include "featherstone/lineage/describe.h"
#include "featherstone/lineage/graph.h"
#include "featherstone/retrieval/freshness.h"
#include "featherstone/serving/handlers.h"
#include "web_assets.h"

namespace fst::serving {
namespace {

using ojson = nlohmann::ordered_json;

HttpResponse JsonResponse(int status, const ojson& body) {
  return {status, "application/json", body.dump(2, ' ', false, ojson::error_handler_t::replace)};
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  return JsonResponse(status, {{"error", message}});
}

// `raw` with %XX and + decoded.
std::string PercentDecode(std::string_view raw) {
  std::string value;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      value += ' ';
    } else if (raw[i] == '%' && i + 2 < raw.size() &&
               std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      value += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      value += raw[i];
    }
  }
  return value;
}

// The value of `key` in the query string of `target` ("" when absent), decoded.
std::string QueryValue(std::string_view target, std::string_view key) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != key) continue;
    return PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return "";
}

// ?limit=N, `fallback` when absent or not a number; with `most` > 0 at most `most` (and 0,
// "all", is `most` too), so the answer stays bounded.
int64_t LimitOf(std::string_view target, int64_t fallback, int64_t most = 0) {
  const std::string text = QueryValue(target, "limit");
  int64_t limit = fallback;
  if (!text.empty()) {
    try {
      limit = std::max<int64_t>(0, std::stoll(text));
    } catch (const std::exception&) {
      limit = fallback;
    }
  }
  if (most > 0 && (limit == 0 || limit > most)) limit = most;
  return limit;
}

// An error of a library call: 404 for an unknown name, 400 for bad input, else 500.
HttpResponse StatusResponse(const Status& status) {
  const int code = status.IsKeyError() ? 404 : status.IsInvalid() ? 400 : 500;
  return ErrorResponse(code, status.message());
}

}  // namespace

HttpResponse Handlers::Dashboard(const HttpRequest& request, std::string_view path,
                                 const TokenEntry* caller) {
  if (request.method != "GET") return ErrorResponse(405, std::string(path) + " takes GET");
  // index.html names its files by absolute paths, so it is the same page at / and /ui.
  if (path == "/" || path == "/ui" || path.starts_with("/ui/")) {
    std::string_view file = path.size() > 4 ? path.substr(4) : std::string_view();
    if (file.empty()) file = "index.html";
    for (const auto& asset : WebAssets()) {
      if (asset.path == file) return {200, asset.content_type, asset.body};
    }
    return ErrorResponse(404, "no file " + std::string(path));
  }
  // The data: scope `catalog` when auth is on.
  if (tokens_.has_value()) {
    if (caller == nullptr) {
      return ErrorResponse(401, "missing or unknown bearer token: send 'Authorization: Bearer "
                                "TOKEN' (the dashboard takes it as /ui/#token=TOKEN)");
    }
    if (auto denied = Deny(caller, {{ScopeKind::kCatalog, ""}})) {
      return ErrorResponse(denied->status, denied->message);
    }
  }
  const std::string_view target = request.target;
  RefreshIfApplied();
  const std::shared_ptr<const Definitions> definitions = CurrentDefinitions();
  std::lock_guard<std::mutex> lock(repo_mu_);
  registry::Registry& registry = repo_->registry();
  if (path == "/api/lineage") {
    auto graph = lineage::BuildGraph(definitions->applied, registry);
    if (!graph.ok()) return ErrorResponse(500, graph.status().message());
    return JsonResponse(200, lineage::GraphJson(*graph));
  }
  // The same library calls as the CLI's --json (docs/catalog.md "Dashboard").
  if (path == "/api/quality") {  // `quality [SOURCE] --limit N --json`
    auto runs = ingest::QualityHistory(*repo_, QueryValue(target, "source"),
                                       LimitOf(target, 50, 1000));
    if (!runs.ok()) return StatusResponse(runs.status());
    return JsonResponse(200, ingest::QualityHistoryJson(*runs));
  }
  if (path == "/api/breakers") {  // `breaker status [SOURCE] --json`
    auto out = ingest::BreakersJson(*repo_, QueryValue(target, "source"), core::NowMicros());
    if (!out.ok()) return StatusResponse(out.status());
    return JsonResponse(200, *out);
  }
  if (path == "/api/quarantine") {  // `quarantine show SOURCE --limit N [--all] --json`
    const std::string source = QueryValue(target, "source");
    if (source.empty()) return ErrorResponse(400, "/api/quarantine needs ?source=SOURCE");
    auto out = ingest::QuarantineJson(*repo_, source, QueryValue(target, "all") == "1",
                                      LimitOf(target, 100, 1000));
    if (!out.ok()) return StatusResponse(out.status());
    return JsonResponse(200, *out);
  }
  if (path == "/api/freshness") {  // `freshness --json`
    auto freshness = retrieval::GetFreshness(*repo_, core::NowMicros());
    if (!freshness.ok()) return StatusResponse(freshness.status());
    return JsonResponse(200, retrieval::FreshnessJson(*freshness));
  }
  if (path == "/api/skew") {
    auto runs = registry.ListSkewRuns(QueryValue(target, "service"), LimitOf(target, 100));
    if (!runs.ok()) return ErrorResponse(500, runs.status().message());
    ojson out = {{"runs", ojson::array()}};
    for (const auto& run : *runs) {
      out["runs"].push_back({{"id", run.id},
                             {"run_at", core::FormatTimestamp(run.run_at)},
                             {"service", run.service},
                             {"requests", run.requests},
                             {"values", run.values},
                             {"differing", run.differing}});
    }
    return JsonResponse(200, out);
  }
  if (path == "/api/catalog/search") {
    lineage::CatalogQuery query{QueryValue(target, "q"), QueryValue(target, "tag"),
                                QueryValue(target, "owner"), QueryValue(target, "kind"),
                                LimitOf(target, 20)};
    auto result = lineage::SearchCatalog(registry, query);
    if (!result.ok()) return StatusResponse(result.status());
    return JsonResponse(200, lineage::CatalogJson(*result));
  }
  if (path.starts_with("/api/objects/")) {
    auto description = lineage::DescribeObject(
        definitions->applied, registry, PercentDecode(path.substr(std::string_view("/api/objects/").size())),
        core::NowMicros());
    if (!description.ok()) return StatusResponse(description.status());
    return JsonResponse(200, *description);
  }
  if (path == "/api/events") {
    auto events = registry.ListLineageEvents(QueryValue(target, "job"), LimitOf(target, 100));
    if (!events.ok()) return ErrorResponse(500, events.status().message());
    ojson out = ojson::array();
    for (const auto& event : *events) {
      out.push_back(ojson::parse(event.event_json, nullptr, false));
    }
    return JsonResponse(200, out);
  }
  return ErrorResponse(404, "no endpoint " + std::string(path) +
                                "; dashboard endpoints: GET /ui/, /api/lineage, /api/quality, "
                                "/api/breakers, /api/quarantine, /api/freshness, "
                                "/api/skew, /api/events, /api/catalog/search, "
                                "/api/objects/NAME");
}

}  // namespace fst::serving
