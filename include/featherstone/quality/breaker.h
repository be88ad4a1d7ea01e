// The circuit breaker of a source (DESIGN section 5): pure state transitions; the state is
// stored in the registry by the pipeline. States users see: docs/quality.md.
//
//   CLOSED --(a run's bad share > threshold)--> OPEN       (that run writes nothing)
//   OPEN   --(half_open_after elapsed)--------> HALF_OPEN  (derived: the next run is a probe)
//   HALF_OPEN probe passes -> CLOSED;  probe fails -> OPEN again (the wait starts over)
//   any state --(`featherstone breaker reset`)--> CLOSED
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "featherstone/definitions/contract.h"

namespace fst::quality {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

std::string_view BreakerStateName(BreakerState state);  // "CLOSED", "OPEN", "HALF_OPEN"

// What the registry keeps per source. Only kClosed and kOpen are stored.
struct BreakerRecord {
  BreakerState state = BreakerState::kClosed;
  int64_t opened_at = 0;   // µs, when it last opened
  int64_t changed_at = 0;  // µs, last transition
  double bad_share = 0;    // of the run that opened it
  std::string reason;      // why it last changed ("bad share 0.35 > 0.2 in FILE", "reset")
};

// The state at `now`: OPEN turns HALF_OPEN once half_open_after has passed.
BreakerState EffectiveState(const BreakerRecord& record, const definitions::BreakerConfig& config,
                            int64_t now);

// When an open breaker lets a probe through (µs).
int64_t ProbeAt(const BreakerRecord& record, const definitions::BreakerConfig& config);

struct Admission {
  bool allowed = true;
  bool probe = false;   // the run is the HALF_OPEN probe
  std::string message;  // why it is refused, naming `featherstone breaker reset SOURCE`
};

// Whether a run of `source` may start at `now`.
Admission Admit(const BreakerRecord& record, const definitions::BreakerConfig& config,
                const std::string& source, int64_t now);

// The record after an admitted run. `bad_share` is the run's; `rejected` when it wrote
// nothing for another reason (a failed aggregate expectation, reject_batch), which fails a
// probe but does not open a closed breaker. `what` names the run ("FILE").
BreakerRecord AfterRun(const BreakerRecord& before, const definitions::BreakerConfig& config,
                       bool probe, double bad_share, bool rejected, const std::string& what,
                       int64_t now);

// Whether the run's bad share opens (or keeps open) the breaker: bad_share > threshold.
bool Trips(const definitions::BreakerConfig& config, double bad_share);

}  // namespace fst::quality
