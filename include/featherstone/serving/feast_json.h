// Feast's JSON shapes for online features (the body of POST /get-online-features and its
// answer), so a Feast client or load script pointed at `featherstone serve` works unchanged.
// docs/serving.md shows both shapes. Parsing only reshapes: types, keys and names are checked
// by the engine (retrieval::GetOnlineFeatures), whose errors every front-end shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/retrieval/online_lookup.h"

namespace fst::serving {

struct OnlineRequest {
  std::string feature_service;        // exactly one of feature_service and features
  std::vector<std::string> features;  // "view:feature"
  std::vector<retrieval::EntityKeyText> entities;  // one per entity, join key -> value text
  // Per entity: request field -> value text (empty when the body has no request_data).
  std::vector<retrieval::EntityKeyText> requests;
  bool full_feature_names = false;
  std::optional<int64_t> at;  // "at" (an extension): lookup time; none = now
};

// Parses {"feature_service": S | "features": [...], "entities": {key: [v, ...]},
// "request_data": {field: [v, ...]}, "full_feature_names": b, "at": TS}. Entity and request
// values may be JSON numbers, strings or booleans (request values also arrays of numbers, for
// list<float32> fields); columns are column-major and of one length
// (a request_data column of length 1 applies to every entity).
// Errors: Invalid naming the field (malformed JSON with its byte offset).
Result<OnlineRequest> ParseOnlineRequest(std::string_view body);
// The same, of a parsed document (the gRPC transport builds one from its request, so both
// give the same checks and messages). Errors: those of ParseOnlineRequest but malformed JSON.
Result<OnlineRequest> OnlineRequestFromJson(const nlohmann::json& doc);

// A JSON scalar as the text form GetOnlineFeatures takes ("42", "12.5", "abc", "true").
// Errors: Invalid naming `where` for null, arrays and objects.
Result<std::string> ScalarText(const nlohmann::json& value, const std::string& where);

// Feast's response: {"metadata": {"feature_names": [keys..., features...]}, "results":
// [{"values": [...], "statuses": [...], "event_timestamps": [...]}, one per column],
// "request_id": id}. Values as `featherstone online` prints them; keys are PRESENT; a column
// without a stored row has event time 1970-01-01T00:00:00Z, as in Feast.
std::string BuildOnlineResponse(const retrieval::OnlineRows& rows, const std::string& request_id);

// {"error": message}: the engine's message unchanged.
std::string ErrorBody(const std::string& message);

}  // namespace fst::serving
