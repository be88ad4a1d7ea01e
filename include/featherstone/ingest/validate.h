// `featherstone validate`: a dry run of a source's contract over a file. Nothing is written
// and nothing is recorded.
#pragma once

#include <cstdint>
#include <string>

#include "featherstone/repo/repo_context.h"
#include "featherstone/quality/validator.h"

namespace fst::ingest {

// Reads `path` as an ingest would and evaluates the contract of `source` (the implicit
// not_null rules of required and non-nullable columns included) at `now_us` (0 = now). The
// report's result meta also tells the policy, how many rows would be quarantined and whether
// the breaker would open. Errors: KeyError for an unknown source; Invalid naming file, row,
// column and value for values that do not read as their type; IOError for I/O.
Result<quality::RunReport> ValidateFile(repo::RepoContext& repo, const std::string& source,
                                        const std::string& path, int64_t now_us = 0);

}  // namespace fst::ingest
