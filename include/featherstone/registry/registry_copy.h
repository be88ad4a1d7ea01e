// `featherstone registry migrate`: a repo's registry copied into a PostgreSQL database, so
// that the repo can continue there (docs/scaling.md "Registry on PostgreSQL").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::registry {

// Copies every table of the registry at `from` (a location as Registry::Open takes) into
// the registry at the PostgreSQL URI `to`, in one transaction of `to`; both are first brought
// to this build's schema version. Returns the rows copied per table, by table name.
// Errors: Invalid when `to` is not a PostgreSQL URI or holds any row (nothing is copied);
// IOError from either database (`to` named without its password).
Result<std::vector<std::pair<std::string, int64_t>>> CopyRegistry(const std::string& from,
                                                                  const std::string& to);

}  // namespace fst::registry
