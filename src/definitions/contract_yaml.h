// Reads the `contract:` map of a source from YAML. Internal to src/definitions.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "featherstone/core/types.h"
#include "featherstone/definitions/contract.h"

namespace fst::definitions::internal {

// Parses `node` (the value of a source's `contract` key). `file` names the YAML file in
// errors, `what` the source ("source 'orders'"); `schema` tells timestamp columns, whose
// between bounds are timestamps. Errors: Invalid "file:line:column: message" for unknown
// keys and expectation names (with a hint when close to a known one), wrong types and
// values; never throws.
Result<Contract> ReadContractYaml(const YAML::Node& node, const std::string& file,
                                  const std::string& what, const core::Schema& schema);

}  // namespace fst::definitions::internal
