// The dashboard's endpoints: the files of web/ at /ui/ and the JSON they read at /api/.
#include <cctype>

#include <nlohmann/json.hpp>

#include "featherstone/core/time.h"
#include "featherstone/lineage/catalog.h"
#include "featherstone/lineage/describe.h"
#include "featherstone/lineage/graph.h"
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

int64_t LimitOf(std::string_view target, int64_t fallback) {
  const std::string text = QueryValue(target, "limit");
  if (text.empty()) return fallback;
  try {
    return std::max<int64_t>(0, std::stoll(text));
  } catch (const std::exception&) {
    return fallback;
  }
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
    if (auto denied = Deny(caller, {{ScopeKind::kCatalog, ""}})) return std::move(*denied);
  }
  const std::string_view target = request.target;
  std::lock_guard<std::mutex> lock(repo_mu_);
  registry::Registry& registry = repo_->registry();
  if (path == "/api/lineage") {
    auto graph = lineage::BuildGraph(*applied_, registry);
    if (!graph.ok()) return ErrorResponse(500, graph.status().message());
    return JsonResponse(200, lineage::GraphJson(*graph));
  }
  if (path == "/api/quality") {
    // Runs oldest first (what a chart draws), per source; every source when none is named.
    auto runs = registry.ListQualityRuns(QueryValue(target, "source"), LimitOf(target, 500));
    if (!runs.ok()) return ErrorResponse(500, runs.status().message());
    auto breakers = registry.ListBreakers();
    if (!breakers.ok()) return ErrorResponse(500, breakers.status().message());
    ojson out = {{"runs", ojson::array()}, {"breakers", ojson::array()}};
    for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
      double success_percent = 100.0;
      auto result = nlohmann::json::parse(it->result_json, nullptr, false);
      if (result.is_object() && result.contains("statistics") &&
          result["statistics"].contains("success_percent") &&
          result["statistics"]["success_percent"].is_number()) {
        success_percent = result["statistics"]["success_percent"].get<double>();
      }
      out["runs"].push_back({{"id", it->id},
                             {"source", it->source},
                             {"ingest_id", it->ingest_id},
                             {"input", it->input},
                             {"run_at", core::FormatTimestamp(it->run_at)},
                             {"outcome", it->outcome},
                             {"rows", it->rows},
                             {"written", it->written},
                             {"quarantined", it->quarantined},
                             {"success", it->success},
                             {"success_percent", success_percent}});
    }
    for (const auto& b : *breakers) {
      out["breakers"].push_back({{"source", b.source},
                                 {"state", b.state},
                                 {"changed_at", core::FormatTimestamp(b.changed_at)},
                                 {"bad_share", b.bad_share},
                                 {"reason", b.reason}});
    }
    return JsonResponse(200, out);
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
        *applied_, registry, PercentDecode(path.substr(std::string_view("/api/objects/").size())),
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
                                "/api/skew, /api/events, /api/catalog/search, "
                                "/api/objects/NAME");
}

}  // namespace fst::serving
