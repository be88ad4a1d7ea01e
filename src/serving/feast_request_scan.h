// A scanner of the common /get-online-features body, without a JSON document: objects,
// arrays, strings of printable ASCII without escapes, integers of at most 18 digits and
// booleans. It reads only what ParseOnlineRequest accepts with those values and takes the same
// order (columns by name, as the document's object does), so the two agree; a body outside
// that subset, or one the document would refuse, is left to the document parser
// (feast_json.cc), which gives the errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "featherstone/serving/feast_json.h"

namespace fst::serving {

// A {name: [value text, ...]} object, by name.
using TextColumnList = std::vector<std::pair<std::string, std::vector<std::string>>>;

// The top-level fields of a body, before its columns are reshaped per entity.
struct ScannedOnlineRequest {
  OnlineRequest head;  // feature_service, features, full_feature_names
  std::optional<TextColumnList> entities;
  std::optional<TextColumnList> request_data;
};

// The fields of `body` when it lies in the subset above with keys among feature_service,
// features, full_feature_names, entities and request_data, each once and of the type
// OnlineRequestFromJson takes; none otherwise.
std::optional<ScannedOnlineRequest> ScanOnlineRequest(std::string_view body);

}  // namespace fst::serving
