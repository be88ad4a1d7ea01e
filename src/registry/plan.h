// Differences between stored and desired definitions, shared by every registry backend.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/registry/registry.h"

namespace fst::registry {

// The changes that turn `current` into `desired`, sorted by kind (definitions::KindRank)
// then name. Objects are matched by (kind, name) and compared by spec hash, recomputed for
// `desired` (see SpecHash). Errors: Invalid when `desired` names an object twice or has an
// unknown kind.
Result<std::vector<Change>> ComputeChanges(
    const std::vector<definitions::SpecObject>& current,
    const std::vector<definitions::SpecObject>& desired);

// The hash stored for `object`: core::HashHex(definitions::SpecText(object.spec)).
std::string SpecHash(const definitions::SpecObject& object);

// "add", "change" or "remove".
const char* OpName(Change::Op op);

}  // namespace fst::registry
