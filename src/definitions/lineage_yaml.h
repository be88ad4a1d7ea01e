// Reads the `lineage:` setting of featherstone.yaml (model.h LineageSettings). Internal to
// src/definitions.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "featherstone/definitions/model.h"

namespace fst::definitions::internal {

// Parses `node`, the value of the top-level `lineage` key of `file`: `none`, or a map with
// `file: PATH` and/or `http: URL` (only the sinks given are used). Errors: Invalid
// "file:line:column: message" naming the value and what is expected, for another scalar, an
// empty map, unknown keys (with a did-you-mean) and values that are not non-empty strings.
Result<LineageSettings> ReadLineageYaml(const YAML::Node& node, const std::string& file);

}  // namespace fst::definitions::internal
