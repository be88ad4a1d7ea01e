// The recorded validation runs of sources and the drift between consecutive runs
// (`featherstone quality`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/quality/breaker.h"
#include "featherstone/quality/drift.h"
#include "featherstone/repo/repo_context.h"

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

// `featherstone quality --json` and GET /api/quality: per run (oldest first) run, source,
// time, ingest, input, outcome, rows, written, bad, quarantined, success, success_percent,
// drift [{column, kind, message}], result (Great Expectations) and metrics (per column).
nlohmann::ordered_json QualityHistoryJson(const std::vector<QualityRun>& runs);

// A change of a source's breaker, as its run history shows it.
struct BreakerTransition {
  int64_t at = 0;     // µs
  std::string state;  // "OPEN" | "CLOSED"
  std::string why;    // "run #7 (FILE): bad share ..." | "probe run #9 passed" | the reset
};

// The transitions of one source's breaker: OPEN at each run that opened it, CLOSED at the
// first run admitted after (a probe that passed), and the stored `current` state when the
// runs do not end in it (a reset, or a stream's window opening it). `runs`: that source's,
// oldest first.
std::vector<BreakerTransition> BreakerTransitions(const std::vector<QualityRun>& runs,
                                                  const quality::BreakerRecord& current);

}  // namespace fst::ingest
