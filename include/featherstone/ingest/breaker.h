// Circuit breakers of sources, stored in the registry (quality/breaker.h has the transitions,
// docs/quality.md the states users see).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/repo/repo_context.h"
#include "featherstone/quality/breaker.h"

namespace fst::ingest {

struct BreakerStatus {
  std::string source;
  bool configured = false;  // the source's contract has a breaker
  quality::BreakerState state = quality::BreakerState::kClosed;  // effective at `now`
  quality::BreakerRecord record;
  definitions::BreakerConfig config;
  int64_t probe_at = 0;  // when an open breaker lets a probe through
};

// Breakers of `source`, or of every applied source with a breaker or a stored state when
// empty, at time `now`. Errors: KeyError for an unknown source.
Result<std::vector<BreakerStatus>> GetBreakerStatus(repo::RepoContext& repo, const std::string& source,
                                                    int64_t now);

// `featherstone breaker status --json` and GET /api/breakers: per source of GetBreakerStatus,
// source, state (at `now`), configured, threshold, half_open_after (text), opened_at,
// changed_at, probe_at (null unless OPEN), bad_share, reason, and transitions [{time, state,
// why}] from its run history (quality_history.h BreakerTransitions).
// Errors: those of GetBreakerStatus and QualityHistory.
Result<nlohmann::ordered_json> BreakersJson(repo::RepoContext& repo, const std::string& source,
                                            int64_t now);

// Closes the breaker of `source` (whatever its state). Errors: KeyError for an unknown source.
Result<BreakerStatus> ResetBreaker(repo::RepoContext& repo, const std::string& source, int64_t now);

// What an ingest run needs from the breaker of `source`.
struct RunAdmission {
  bool configured = false;
  bool probe = false;
  quality::BreakerRecord before;
  definitions::BreakerConfig config;
};

// Errors: Invalid with the refusal message (naming `featherstone breaker reset SOURCE` and
// when a probe is allowed) while the breaker is OPEN.
Result<RunAdmission> AdmitRun(repo::RepoContext& repo, const definitions::Source& source, int64_t now);

// The stored state after an admitted run, or nullopt when nothing changes.
std::optional<registry::BreakerRow> BreakerAfterRun(const RunAdmission& admission,
                                                    const std::string& source, double bad_share,
                                                    bool rejected, const std::string& what,
                                                    int64_t now);

}  // namespace fst::ingest
