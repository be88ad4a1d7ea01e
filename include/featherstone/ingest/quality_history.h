// The recorded validation runs of sources and the drift between consecutive runs
// (`featherstone quality`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "featherstone/repo/repo_context.h"
#include "featherstone/quality/drift.h"

namespace fst::ingest {

struct QualityRun {
  registry::QualityRunRecord record;
  double success_percent = 100;  // from the GE statistics
  int64_t bad_rows = 0;          // rows breaking an error-level rule (quarantined or not)
  // Drift against the previous recorded ingest run of the same source (replays and runs
  // without metrics are skipped).
  std::vector<quality::DriftWarning> drift;
};

// Runs of `source` (all sources when empty), oldest first, at most the last `limit` per call
// (0 = all). Errors: KeyError for an unknown source.
Result<std::vector<QualityRun>> QualityHistory(repo::RepoContext& repo, const std::string& source,
                                               int64_t limit,
                                               const quality::DriftOptions& options = {});

}  // namespace fst::ingest
