// What `featherstone describe NAME` shows and GET /api/objects/NAME serves (docs/catalog.md):
// an applied object's definition and catalog metadata, its versions with what changed between
// consecutive ones, its producers and consumers in the lineage graph with their latest runs,
// and the data behind it (rows ingested into a source, a view's watermark and its age).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/definitions/model.h"
#include "featherstone/registry/registry.h"

namespace fst::lineage {

// The description of the object named `name` (any kind; "VIEW:FEATURE" for one feature of a
// view, described with its view), as of `now` (µs), `applied` being the current definitions:
// {kind, name, version, applied_at, removed, description, owner, tags, labels, spec,
//  [feature], versions: [{version, applied_at, hash, removed, changes}],
//  lineage: {producers, consumers, nodes, edges}, data: {...}}.
// Errors: KeyError "nothing named 'X' is applied" with a did-you-mean; those of the registry.
Result<nlohmann::ordered_json> DescribeObject(const definitions::Repo& applied,
                                              registry::Registry& registry,
                                              const std::string& name, int64_t now);

// DescribeObject's JSON as compact text for the terminal.
std::string DescribeText(const nlohmann::ordered_json& description);

}  // namespace fst::lineage
