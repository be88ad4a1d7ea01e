// Reads featherstone.yaml (and every other *.yaml beside it) into a validated Repo.
#pragma once

#include <string>
#include <string_view>

#include "featherstone/definitions/model.h"

namespace fst::definitions {

// Parses one YAML document; `file_name` is used in error locations.
// Errors: Invalid "file:line:column: message" for unknown keys (with a "did you mean" hint
// when close to a known key), wrong types, missing required keys, bad durations and types.
// Does not run cross-object validation (see Validate).
Result<Repo> ParseYaml(std::string_view text, const std::string& file_name);

// Loads REPO_DIR/featherstone.yaml plus other *.yaml files in REPO_DIR (sorted by name), merges
// them (project/registry/online_store only from featherstone.yaml) and validates.
// Errors: IOError when featherstone.yaml is missing; Invalid as in ParseYaml and Validate.
Result<Repo> LoadRepo(const std::string& repo_dir);

// The top-level settings of REPO_DIR/featherstone.yaml (project, registry, online_store and
// where they were written), without reading the objects; the defaults when the file does not
// exist or is not a YAML map (LoadRepo reports why). Errors: IOError when it cannot be read.
Result<Repo> LoadSettings(const std::string& repo_dir);

}  // namespace fst::definitions
