// Reproducing served features from the offline store (DESIGN section 6): every logged value is
// recomputed by the point-in-time rules at the request's lookup time and compared with what was
// served; a difference is explained when the registry can tell why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/feedback/feature_log_reader.h"
#include "featherstone/repo/repo_context.h"

namespace fst::feedback {

// Why a served value differs from the value recomputed now.
enum class SkewReason {
  kNone,               // equal (not a FeatureCheck's reason)
  kLateData,           // events the offline store received after the request explain it
  kStaleOnline,        // the online state was materialized up to a time before the request
  kDefinitionChanged,  // the served versions reproduce it; today's definitions do not
  kTtl,                // the served value and the recomputed one disagree on the ttl
  kUnexplained,
};

// "equal", "late_data", "stale_online", "definition_changed", "ttl", "unexplained".
const char* SkewReasonName(SkewReason reason);

// One served value that differs from its recomputation.
struct FeatureCheck {
  const LoggedRequest* request = nullptr;
  size_t entity = 0;   // index into request->entities
  size_t feature = 0;  // index into request->features
  nlohmann::json served;
  nlohmann::json recomputed;
  SkewReason reason = SkewReason::kUnexplained;
  std::string detail;  // the evidence for `reason`
};

struct ServedComparison {
  int64_t values = 0;                   // values compared
  std::vector<FeatureCheck> differing;  // by request, entity, feature
};

// Recomputes every value of `requests` (one training-set join per feature list and set of
// served versions, at each request's lookup time) with the definitions that served it — the
// registry keeps every version; a logged spec hash that is no longer current is recomputed
// with that version — and explains each difference (numbers count as equal within 1e-9
// relative: online windows accumulate in another order than the join):
// - definition_changed: the served versions reproduce the value but today's definitions give
//   another (or the served version is no longer in the registry); the detail names the
//   changed objects, both spec hashes and the apply time;
// - late_data: recomputed from only the ingests published by the serving time, the value is the
//   served one (the detail names the ingests published later);
// - stale_online: the view's watermark when the request was served (registry history) was
//   before the lookup time and offline data of that gap existed then;
// - ttl: served as OUTSIDE_MAX_AGE but recomputed, or the other way round;
// - otherwise unexplained.
// The checks point into `requests`. Errors: those of the training-set join.
Result<ServedComparison> CheckServed(repo::RepoContext& repo,
                                     const std::vector<LoggedRequest>& requests);

// The logged response with `request_id`. Errors: KeyError "no logged request 'ID'" (with the
// log folder) when the log has none.
Result<LoggedRequest> FindLoggedRequest(repo::RepoContext& repo, const std::string& request_id);

// The report of one request: a header line, then "reproduced: N features equal" or one line per
// differing value (entity keys, feature, served, recomputed, reason and its evidence).
std::string ReproduceText(const LoggedRequest& request, const ServedComparison& checks);
// The same as JSON: request_id, served_at, at, service, equal (bool), features (count),
// mismatches: [{entity, feature, served, recomputed, reason, detail}].
nlohmann::ordered_json ReproduceJson(const LoggedRequest& request,
                                     const ServedComparison& checks);

}  // namespace fst::feedback
