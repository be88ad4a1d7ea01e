// "Did you mean" hints: the candidate closest to a misspelt name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fst::core {

// Optimal string alignment distance (a transposition counts as one edit).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate within `max_distance` edits of `name` (the first of the closest), or "".
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates,
                        size_t max_distance = 2);

}  // namespace fst::core
