#include "featherstone/serving/feast_json.h"

#include <array>
#include <limits>

#include "featherstone/core/time.h"
#include "featherstone/retrieval/online_json.h"
#include "feast_request_scan.h"

namespace fst::serving {
namespace {

using nlohmann::json;

const char* TypeName(const json& value) { return value.type_name(); }

// Parses `body` as JSON. Errors: Invalid with the parser's byte offset.
Result<json> ParseDocument(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return Status::Invalid("malformed JSON at byte ", e.byte, ": ", e.what());
  } catch (const json::exception& e) {  // e.g. a number out of range
    return Status::Invalid("malformed JSON: ", e.what());
  }
  return doc;
}

// A {name: [scalar, ...]} object as columns of text: (name, values) by name, the order of the
// document's object. With `vectors`, a value may also be an array (a list<float32> request
// value, e.g. a query embedding), passed on as its JSON text and checked where it is coerced.
Result<TextColumnList> TextColumns(const json& object, const std::string& field,
                                   bool vectors = false) {
  if (!object.is_object()) {
    return Status::Invalid("'", field, "' must be an object of columns, e.g. {\"customer_id\": "
                           "[42, 43]}, got ", TypeName(object));
  }
  TextColumnList columns;
  for (const auto& [name, values] : object.items()) {
    const std::string where = field + "." + name;
    if (!values.is_array()) {
      return Status::Invalid("'", where, "' must be an array of values, got ", TypeName(values));
    }
    std::vector<std::string> texts;
    texts.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      if (vectors && values[i].is_array()) {
        texts.push_back(values[i].dump());
        continue;
      }
      FST_ASSIGN_OR_RAISE(auto text,
                          ScalarText(values[i], where + "[" + std::to_string(i) + "]"));
      texts.push_back(std::move(text));
    }
    columns.emplace_back(name, std::move(texts));
  }
  return columns;
}

// The checks of a body's fields that do not read the columns: exactly one of feature_service
// and features, and entities given.
Status CheckHead(const OnlineRequest& head, bool has_entities) {
  if (head.feature_service.empty() == head.features.empty()) {
    return Status::Invalid("give exactly one of 'feature_service' (a name) and 'features' "
                           "(a non-empty array of \"view:feature\")");
  }
  if (!has_entities) {
    return Status::Invalid("missing 'entities', e.g. {\"customer_id\": [42, 43]}");
  }
  return Status::OK();
}

// `request` with the entity columns `keys` as one list of (join key, value) per entity.
// Errors: Invalid for no column or columns of different lengths.
Result<OnlineRequest> WithEntities(OnlineRequest request, TextColumnList keys) {
  if (keys.empty()) return Status::Invalid("'entities' has no join key column");
  const size_t n = keys.front().second.size();
  for (const auto& [name, values] : keys) {
    if (values.size() != n) {
      return Status::Invalid("'entities." , name, "' has ", values.size(), " values but 'entities.",
                             keys.front().first, "' has ", n, "; every column needs one value "
                             "per entity");
    }
  }
  request.entities.resize(n);
  for (size_t e = 0; e < n; ++e) {
    request.entities[e].reserve(keys.size());
    for (auto& [name, values] : keys) {
      request.entities[e].emplace_back(name, std::move(values[e]));
    }
  }
  return request;
}

// Adds the request_data columns `fields` to `request` (its entities set), one list of
// (field, value) per entity. Errors: Invalid for a column of neither one value nor one per
// entity.
Status AddRequestData(TextColumnList fields, OnlineRequest* request) {
  const size_t n = request->entities.size();
  if (!fields.empty()) request->requests.resize(n);
  for (auto& [name, values] : fields) {
    if (values.size() != n && values.size() != 1) {
      return Status::Invalid("'request_data.", name, "' has ", values.size(),
                             " values for ", n, " entities; give one per entity, or one for "
                             "all");
    }
    for (size_t e = 0; e < n; ++e) {
      request->requests[e].emplace_back(name, values[values.size() == 1 ? 0 : e]);
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::string> ScalarText(const json& value, const std::string& where) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::number_integer:
      return std::to_string(value.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case json::value_t::number_float:
      return value.dump();
    case json::value_t::boolean:
      return std::string(value.get<bool>() ? "true" : "false");
    default:
      return Status::Invalid("'", where, "' must be a number, a string or a boolean, got ",
                             TypeName(value));
  }
}

Result<OnlineRequest> ParseOnlineRequest(std::string_view body) {
  if (auto scanned = ScanOnlineRequest(body)) {
    FST_RETURN_NOT_OK(CheckHead(scanned->head, scanned->entities.has_value()));
    FST_ASSIGN_OR_RAISE(auto request,
                        WithEntities(std::move(scanned->head), std::move(*scanned->entities)));
    if (scanned->request_data.has_value()) {
      FST_RETURN_NOT_OK(AddRequestData(std::move(*scanned->request_data), &request));
    }
    return request;
  }
  FST_ASSIGN_OR_RAISE(json doc, ParseDocument(body));
  return OnlineRequestFromJson(doc);
}

Result<OnlineRequest> OnlineRequestFromJson(const json& doc) {
  if (!doc.is_object()) {
    return Status::Invalid("the body must be a JSON object, got ", TypeName(doc));
  }
  OnlineRequest request;
  for (const auto& [key, value] : doc.items()) {
    if (key == "feature_service") {
      if (!value.is_string()) {
        return Status::Invalid("'feature_service' must be a string, got ", TypeName(value));
      }
      request.feature_service = value.get<std::string>();
    } else if (key == "features") {
      if (!value.is_array()) {
        return Status::Invalid("'features' must be an array of \"view:feature\" strings, got ",
                               TypeName(value));
      }
      for (size_t i = 0; i < value.size(); ++i) {
        if (!value[i].is_string()) {
          return Status::Invalid("'features[", i, "]' must be a \"view:feature\" string, got ",
                                 TypeName(value[i]));
        }
        request.features.push_back(value[i].get<std::string>());
      }
    } else if (key == "full_feature_names") {
      if (!value.is_boolean()) {
        return Status::Invalid("'full_feature_names' must be true or false, got ",
                               TypeName(value));
      }
      request.full_feature_names = value.get<bool>();
    } else if (key == "at") {
      FST_ASSIGN_OR_RAISE(auto text, ScalarText(value, "at"));
      auto at = core::ParseTimestamp(text);
      if (!at.ok()) return Status::Invalid("'at': ", at.status().message());
      request.at = *at;
    } else if (key != "entities" && key != "request_data") {
      return Status::Invalid("unknown field '", key, "'; expected feature_service or features, "
                             "entities, request_data, full_feature_names, at");
    }
  }
  FST_RETURN_NOT_OK(CheckHead(request, doc.contains("entities")));
  FST_ASSIGN_OR_RAISE(auto keys, TextColumns(doc.at("entities"), "entities"));
  FST_ASSIGN_OR_RAISE(request, WithEntities(std::move(request), std::move(keys)));
  if (doc.contains("request_data")) {
    FST_ASSIGN_OR_RAISE(auto fields,
                        TextColumns(doc.at("request_data"), "request_data", /*vectors=*/true));
    FST_RETURN_NOT_OK(AddRequestData(std::move(fields), &request));
  }
  return request;
}

std::string BuildOnlineResponse(const retrieval::OnlineRows& rows,
                                const std::string& request_id) {
  // Written as text rather than as a JSON tree: this is on every lookup's path. Values are
  // retrieval::AppendJson's bytes of retrieval::ToJson, as `featherstone online` prints them.
  // Quoted once: the statuses' names, and each distinct event time (the features of one view
  // share their row's).
  static const std::array<std::string, 3> kStatuses = [] {
    std::array<std::string, 3> out;
    for (auto status : {retrieval::FeatureStatus::kPresent, retrieval::FeatureStatus::kNotFound,
                        retrieval::FeatureStatus::kOutsideMaxAge}) {
      out[static_cast<size_t>(status)] =
          std::string("\"") + retrieval::FeatureStatusName(status) + '"';
    }
    return out;
  }();
  static const std::string kEpoch = '"' + core::FormatTimestamp(0) + '"';
  int64_t formatted_ts = 0;
  std::string formatted = kEpoch;
  std::string out = R"({"metadata":{"feature_names":[)";
  out.reserve(64 * rows.columns.size() * (rows.rows.size() + 1));
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    if (c > 0) out += ',';
    retrieval::AppendJsonString(rows.columns[c], &out);
  }
  out += R"(]},"results":[)";
  for (size_t c = 0; c < rows.columns.size(); ++c) {
    if (c > 0) out += ',';
    out += R"({"values":[)";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      if (r > 0) out += ',';
      retrieval::AppendJson(rows.rows[r][c], &out);
    }
    out += R"(],"statuses":[)";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      if (r > 0) out += ',';
      out += kStatuses[static_cast<size_t>(rows.statuses[r][c])];
    }
    out += R"(],"event_timestamps":[)";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      if (r > 0) out += ',';
      // 0: no stored row; the minimum: a stored key without a row in range (materialize).
      const int64_t ts = rows.event_ts[r][c];
      const bool none = ts == 0 || ts == std::numeric_limits<int64_t>::min();
      if (!none && ts != formatted_ts) {
        formatted_ts = ts;
        formatted = '"' + core::FormatTimestamp(ts) + '"';
      }
      out += none ? kEpoch : formatted;
    }
    out += "]}";
  }
  out += R"(],"request_id":)";
  retrieval::AppendJsonString(request_id, &out);
  out += '}';
  return out;
}

std::string ErrorBody(const std::string& message) {
  nlohmann::ordered_json out = {{"error", message}};
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace fst::serving
