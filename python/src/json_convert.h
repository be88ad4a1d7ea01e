// nlohmann JSON -> Python objects (None, bool, int, float, str, list, dict in key order).
#pragma once

#include <nanobind/nanobind.h>
#include <nlohmann/json.hpp>

namespace fst::python {

// Requires the GIL.
nanobind::object ToPython(const nlohmann::ordered_json& value);
nanobind::object ToPython(const nlohmann::json& value);

}  // namespace fst::python
