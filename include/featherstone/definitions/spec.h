// Spec JSON: the canonical serialization stored in the registry, and its hash.
// The same definition always gives the same JSON (keys sorted, locations and defaults
// normalised away), so the spec hash identifies a definition across YAML and the Python SDK.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/definitions/model.h"

namespace fst::definitions {

// One registry object: kind is "entity", "source", "feature_view" or "feature_service".
struct SpecObject {
  std::string kind;
  std::string name;
  nlohmann::json spec;
  std::string hash;  // core::HashHex(spec.dump())
};

// All objects of `repo`, in kind order then name order.
std::vector<SpecObject> ToSpecObjects(const Repo& repo);

// Rebuilds a Repo from stored objects (project/registry/online_store left default).
// Errors: Invalid naming the object when a spec is malformed.
Result<Repo> FromSpecObjects(const std::vector<SpecObject>& objects);

}  // namespace fst::definitions
