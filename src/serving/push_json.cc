#include "featherstone/serving/push_json.h"

#include <vector>

#include <nlohmann/json.hpp>

namespace fst::serving {

namespace {
using ojson = nlohmann::ordered_json;
}  // namespace

Result<PushRequest> ParsePushRequest(std::string_view body) {
  ojson doc;
  try {
    doc = ojson::parse(body);
  } catch (const ojson::parse_error& e) {
    return Status::Invalid("malformed JSON at byte ", e.byte, ": ", e.what());
  } catch (const ojson::exception& e) {  // e.g. a number out of range
    return Status::Invalid("malformed JSON: ", e.what());
  }
  return PushRequestFromJson(doc);
}

Result<PushRequest> PushRequestFromJson(const ojson& doc) {
  if (!doc.is_object()) {
    return Status::Invalid("the body must be a JSON object, got ", doc.type_name());
  }
  PushRequest request;
  for (const auto& [key, value] : doc.items()) {
    if (key == "push_source_name" || key == "source") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return Status::Invalid("'", key, "' must be a source name");
      }
      if (!request.source.empty()) {
        return Status::Invalid("give one of 'push_source_name' and 'source'");
      }
      request.source = value.get<std::string>();
    } else if (key == "to") {
      const std::string to = value.is_string() ? value.get<std::string>() : value.dump();
      if (to == "offline") {
        request.to = PushTarget::kOffline;
      } else if (to == "online") {
        request.to = PushTarget::kOnline;
      } else if (to == "online_and_offline") {
        request.to = PushTarget::kOnlineAndOffline;
      } else {
        return Status::Invalid("'to' is ", to, "; expected \"offline\", \"online\" or "
                               "\"online_and_offline\"");
      }
    } else if (key != "df" && key != "allow_registry_cache") {
      return Status::Invalid("unknown field '", key, "'; expected push_source_name (or source), "
                             "df, to");
    }
  }
  if (request.source.empty()) return Status::Invalid("missing 'push_source_name'");
  if (!doc.contains("df")) {
    return Status::Invalid("missing 'df', e.g. {\"customer_id\": [42], \"amount\": [12.5]}");
  }
  const ojson& df = doc.at("df");
  if (!df.is_object() || df.empty()) {
    return Status::Invalid("'df' must be a non-empty object of columns, got ", df.type_name());
  }
  std::vector<std::pair<std::string, const ojson*>> columns;
  size_t rows = 0;
  for (const auto& [name, values] : df.items()) {
    if (!values.is_array()) {
      return Status::Invalid("'df.", name, "' must be an array of values, got ",
                             values.type_name());
    }
    if (columns.empty()) {
      rows = values.size();
    } else if (values.size() != rows) {
      return Status::Invalid("'df.", name, "' has ", values.size(), " values but 'df.",
                             columns.front().first, "' has ", rows,
                             "; columns need one value per row");
    }
    columns.emplace_back(name, &values);
  }
  if (rows == 0) return Status::Invalid("'df' has no rows");
  for (size_t r = 0; r < rows; ++r) {
    ojson event = ojson::object();
    for (const auto& [name, values] : columns) event[name] = (*values)[r];
    request.events += event.dump(-1, ' ', false, ojson::error_handler_t::replace);
    request.events += '\n';
  }
  request.rows = static_cast<int64_t>(rows);
  return request;
}

std::string BuildPushResponse(const PushAnswer& answer) {
  ojson out = ojson::object();
  out["rows_written"] = answer.rows_written;
  out["rows_quarantined"] = answer.rows_quarantined;
  out["ingest_id"] = answer.ingest_id;
  out["warnings"] = answer.warnings;
  ojson materialized = ojson::array();
  for (const auto& view : answer.materialized) {
    materialized.push_back({{"view", view.view}, {"keys_written", view.keys_written}});
  }
  out["materialized"] = std::move(materialized);
  return out.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace fst::serving
