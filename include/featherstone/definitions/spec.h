// Spec JSON: the canonical serialization stored in the registry, and its hash.
// The same definition always gives the same JSON (keys sorted, locations and defaults
// normalised away), so the spec hash identifies a definition across YAML and the Python SDK.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/definitions/model.h"

namespace fst::definitions {

// One registry object: kind is "entity", "source", "feature_view", "on_demand_feature_view" or
// "feature_service".
struct SpecObject {
  std::string kind;
  std::string name;
  nlohmann::json spec;
  std::string hash;  // core::HashHex(SpecText(spec))
};

// The object kinds in dependency order: the order of ToSpecObjects and of registry listings.
inline constexpr std::string_view kSpecKinds[] = {"entity", "source", "feature_view",
                                                  "on_demand_feature_view", "feature_service"};

// Position of `kind` in kSpecKinds (unknown kinds sort last).
int KindRank(std::string_view kind);

// The canonical text of a spec, the one hashed and stored: compact, keys sorted, invalid
// UTF-8 replaced (so it never throws). Equals spec.dump() for valid UTF-8.
std::string SpecText(const nlohmann::json& spec);

// All objects of `repo`, in kind order then name order.
std::vector<SpecObject> ToSpecObjects(const Repo& repo);

// Rebuilds a Repo from stored objects (project/registry/online_store left default).
// Errors: Invalid naming the object when a spec is malformed.
Result<Repo> FromSpecObjects(const std::vector<SpecObject>& objects);

}  // namespace fst::definitions
