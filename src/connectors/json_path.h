// A declared column's path into a JSON object (docs/connectors.md, "Nested JSON"): dot-separated
// steps, each an object member name or, on an array, a 0-based element index ("items.0.sku").
// Shared by the JSON Lines connector and the message decoder (Kafka, push). Internal to
// src/connectors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json_document.h"

namespace fst::connectors::internal {

struct JsonPathStep {
  std::string key;     // the member name
  int64_t index = -1;  // the element index when `key` is decimal digits, else -1
};

using JsonPath = std::vector<JsonPathStep>;

// The steps of `path` (split at dots, as SplitPath does; the definitions reader has checked
// the syntax).
JsonPath ParseJsonPath(const std::string& path);

// The value at `path` below `root`: a step on an object takes the member named `key` (also
// when it is digits), a step on an array takes element `index`. False when a member or element
// is missing or a step meets a scalar: the value is then null.
bool LookupJsonPath(JsonValue root, const JsonPath& path, JsonValue* out);

}  // namespace fst::connectors::internal
