// Drift between consecutive runs of a source, from their stored metrics (ColumnMetrics JSON):
// a null-rate jump, a mean shift beyond k standard deviations of the previous run, a row count
// collapse. Reported as warnings by `featherstone quality`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fst::quality {

struct DriftOptions {
  double null_rate_jump = 0.05;  // absolute increase of a column's null rate
  double mean_shift_k = 3.0;     // |mean - previous mean| > k * previous stddev
  double row_collapse = 0.10;    // rows < this share of the previous run's rows
};

struct DriftWarning {
  std::string column;   // empty for the row count
  std::string kind;     // "null_rate_jump" | "mean_shift" | "row_count_collapse"
  std::string message;  // "amount: null rate 0.2% -> 8.1%"
};

// Warnings for `current` against `previous` (both {"row_count", "columns": {...}}). Columns
// missing from either side are skipped.
std::vector<DriftWarning> CompareRuns(const nlohmann::json& previous,
                                      const nlohmann::json& current,
                                      const DriftOptions& options = {});

}  // namespace fst::quality
