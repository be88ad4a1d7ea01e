#include "featherstone/quality/breaker.h"

#include <cstdio>

#include "featherstone/core/time.h"

namespace fst::quality {
namespace {

std::string Share(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", share);
  return text;
}

}  // namespace

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "CLOSED";
    case BreakerState::kOpen: return "OPEN";
    case BreakerState::kHalfOpen: return "HALF_OPEN";
  }
  return "?";
}

int64_t ProbeAt(const BreakerRecord& record, const definitions::BreakerConfig& config) {
  return record.opened_at + config.half_open_after_us;
}

BreakerState EffectiveState(const BreakerRecord& record, const definitions::BreakerConfig& config,
                            int64_t now) {
  if (record.state == BreakerState::kClosed) return BreakerState::kClosed;
  return now >= ProbeAt(record, config) ? BreakerState::kHalfOpen : BreakerState::kOpen;
}

bool Trips(const definitions::BreakerConfig& config, double bad_share) {
  return bad_share > config.threshold;
}

Admission Admit(const BreakerRecord& record, const definitions::BreakerConfig& config,
                const std::string& source, int64_t now) {
  Admission admission;
  switch (EffectiveState(record, config, now)) {
    case BreakerState::kClosed:
      return admission;
    case BreakerState::kHalfOpen:
      admission.probe = true;
      return admission;
    case BreakerState::kOpen:
      break;
  }
  admission.allowed = false;
  admission.message = "source '" + source + "': circuit breaker is OPEN since " +
                      core::FormatTimestamp(record.opened_at) + " (" + record.reason +
                      "); nothing was ingested. A probe run will be allowed from " +
                      core::FormatTimestamp(ProbeAt(record, config)) +
                      "; to resume now, fix the data and run `featherstone breaker reset " +
                      source + "`";
  return admission;
}

BreakerRecord AfterRun(const BreakerRecord& before, const definitions::BreakerConfig& config,
                       bool probe, double bad_share, bool rejected, const std::string& what,
                       int64_t now) {
  BreakerRecord after = before;
  const bool trips = Trips(config, bad_share);
  if (trips || (probe && rejected)) {
    after.state = BreakerState::kOpen;
    after.opened_at = now;
    after.changed_at = now;
    after.bad_share = bad_share;
    after.reason = (probe ? "probe failed: " : "") +
                   (trips ? "bad share " + Share(bad_share) + " > threshold " +
                                Share(config.threshold)
                          : std::string("run rejected")) +
                   " in " + what;
    return after;
  }
  if (probe || before.state != BreakerState::kClosed) {
    after.state = BreakerState::kClosed;
    after.changed_at = now;
    after.bad_share = bad_share;
    after.reason = "probe passed: bad share " + Share(bad_share) + " in " + what;
  }
  return after;
}

}  // namespace fst::quality
