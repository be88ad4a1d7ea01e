// Schema evolution of sources between the applied definitions and new ones (DESIGN section 5),
// checked by `plan` and `apply`. Files written under the old schema stay readable: a column
// they lack reads as nulls and a narrower stored type is cast to the declared one.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "featherstone/core/types.h"
#include "featherstone/definitions/model.h"

namespace fst::definitions {

// Widening changes old files can be read through: int32 -> int64 -> float64, int32 -> float64,
// float32 -> float64.
bool IsWidening(core::ValueType from, core::ValueType to);

struct EvolutionCheck {
  // Breaking changes, each naming the source, the column and what depends on it.
  std::vector<std::string> refused;
  // Accepted changes worth telling (widening, added columns, columns no longer read).
  std::vector<std::string> notes;
};

// Compares every source in both `current` (applied) and `desired`. Refused: removing or
// renaming a column that a feature (passthrough, aggregation or expression), a join key or
// the timestamp field of a view or feature still in `desired` uses; changing a column's type
// other than by widening when a feature of `desired` reads it; adding a non-nullable column,
// or making a new column the timestamp field, to a source that `has_data`.
EvolutionCheck CheckSchemaEvolution(const Repo& current, const Repo& desired,
                                    const std::function<bool(const std::string&)>& has_data);

}  // namespace fst::definitions
