// The training-serving consistency report over many logged requests (`featherstone skew`):
// per feature, how often the served value equals the one recomputed from the offline store, how
// far apart the numbers are, and why they differ. Each run is recorded in the registry.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/repo/repo_context.h"

namespace fst::feedback {

struct SkewOptions {
  std::string service;  // empty: every logged response
  int64_t from_us = std::numeric_limits<int64_t>::min();  // served_at in [from, to]
  int64_t to_us = std::numeric_limits<int64_t>::max();
  int64_t sample = 0;  // > 0: at most this many responses, evenly spaced (first and last in)
};

struct FeatureSkew {
  std::string feature;  // "view:feature"
  int64_t values = 0;
  int64_t equal = 0;
  int64_t mismatched = 0;  // both present, different
  int64_t missing = 0;     // one side null, the other not
  // Over mismatched numbers: mean |served - recomputed| and mean of that over |recomputed|
  // (recomputed 0 counts as 1).
  double mean_abs_diff = 0;
  double mean_rel_diff = 0;
  std::map<std::string, int64_t> reasons;  // reason name -> differing values
};

struct SkewReport {
  int64_t run_id = 0;  // in the registry
  std::string service;
  int64_t requests = 0;
  int64_t values = 0;
  int64_t differing = 0;
  std::vector<FeatureSkew> features;  // in order of first appearance
};

// Compares every value of the selected logged responses with its recomputation
// (reproduce.h CheckServed: one join per feature list), sums it up per feature and records the
// run. Errors: Invalid when the range holds no logged response (naming the log folder); those
// of CheckServed.
Result<SkewReport> MeasureSkew(repo::RepoContext& repo, const SkewOptions& options);

// The report as an aligned table, and as JSON (also what the registry keeps).
std::string SkewText(const SkewReport& report);
nlohmann::ordered_json SkewJson(const SkewReport& report);

}  // namespace fst::feedback
