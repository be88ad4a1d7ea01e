// nlohmann JSON and online responses -> Python objects (None, bool, int, float, str, list,
// dict in key order).
#pragma once

#include <nanobind/nanobind.h>
#include <nlohmann/json.hpp>

#include "featherstone/retrieval/online_lookup.h"

namespace fst::python {

// Requires the GIL.
nanobind::object ToPython(const nlohmann::ordered_json& value);
nanobind::object ToPython(const nlohmann::json& value);
// One dict per row (column -> value): the objects ToPython gives for the JSON of `rows`.
nanobind::object ToPython(const retrieval::OnlineRows& rows);

}  // namespace fst::python
