// Evaluates a source's contract over the record batches of one run (one ingested file, one
// replay, one dry run) and splits rows into good rows and quarantined rows. Semantics users
// rely on: docs/quality.md. Not thread-safe; one Validator per run.
//
// Row-level rules (not_null, unique, between, in_set, regex) are vectorized over each batch
// (Arrow compute: is_null, comparisons, is_in, match_substring_regex) and give the failing
// rows. A row failing an error-level rule with mostly = 1 is bad at once; a row failing only
// error-level rules with mostly < 1 is held until Finish, when the run's failing fraction is
// known: it is bad only if one of those rules failed for the run (GE semantics: within the
// tolerance the expectation succeeds and its rows pass). Warn-level rules never make a row bad.
// Aggregate rules (null_rate_max, row_count_between, freshness_max, mean_between) are judged
// at Finish from the per-column metrics.
//
// State across batches: the per-column metrics (a 16 KiB HyperLogLog each), at most 20
// sample values per rule, the held rows, and for each `unique` rule a set of every distinct
// key seen in the run, compared exactly (about 32 bytes per distinct key plus the key bytes
// for strings and compound keys; see src/quality/unique_set.h). `unique` passes the first
// occurrence of a key and fails the later ones; rows with a null in a key column are skipped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/definitions/model.h"

namespace fst::quality {

// Columns of a quarantine row besides the source's (which are text: utf8, binary for bytes).
inline constexpr char kRowColumn[] = "__row";          // int64, 1-based data row of the input
inline constexpr char kRulesColumn[] = "__rules";      // utf8, "not_null(amount); between(x)"
inline constexpr char kReasonsColumn[] = "__reasons";  // utf8, "amount is null; ..."

// The Arrow schema of quarantine rows for `schema`.
std::shared_ptr<arrow::Schema> QuarantineSchema(const core::Schema& schema);

struct ValidatorOptions {
  // Columns that must be present on every row stored (join keys, event time): checked by an
  // implicit error-level not_null, as are columns declared `nullable: false`.
  std::vector<std::string> required_columns;
  // Evaluate only row-level rules (replay of quarantined rows, which are not a whole run).
  bool row_rules_only = false;
  // Build quarantine rows (off for dry runs and reject_batch, which only count them).
  bool build_quarantine = true;
};

// Rows of the input, typed as the source declares.
struct RowSet {
  std::shared_ptr<arrow::RecordBatch> batch;
  std::shared_ptr<arrow::Int64Array> rows;  // 1-based input row number of each row
};

struct CheckedBatch {
  RowSet good;  // passing rows, in input order (may be empty)
  std::shared_ptr<arrow::RecordBatch> quarantine;  // QuarantineSchema rows; null when none
  int64_t bad_rows = 0;  // counted even when quarantine rows are not built
};

struct RunReport {
  int64_t rows = 0;
  int64_t good_rows = 0;
  int64_t bad_rows = 0;  // rows quarantined under policy quarantine
  double bad_share = 0;  // bad_rows / rows (0 for an empty run)
  bool success = true;   // no error-level expectation failed
  bool aggregate_failed = false;  // an error-level aggregate expectation failed
  bool row_rule_failed = false;   // an error-level row-level expectation failed
  std::vector<std::string> failures;  // "between(amount): 12 of 1000 rows (1.2%) ..."
  std::vector<std::string> warnings;  // the same for warn-level expectations
  // Great Expectations validation result: success, statistics, results[], meta.
  nlohmann::json result;
  // {"row_count": N, "columns": {NAME: ColumnMetrics::ToJson()}}
  nlohmann::json metrics;
};

struct FinishedRun {
  std::vector<RowSet> good;  // held rows found good at Finish
  std::vector<std::shared_ptr<arrow::RecordBatch>> quarantine;  // held rows found bad
  RunReport report;
};

class Validator {
 public:
  // Compiles the contract of `source` (an empty contract when it has none: only the implicit
  // not_null rules and the metrics). Errors: Invalid naming the rule for a bad regex.
  static Result<std::unique_ptr<Validator>> Make(const definitions::Source& source,
                                                 const ValidatorOptions& options);
  ~Validator();

  // Checks a batch whose columns include the source's declared columns (by name, as the
  // connector yields them). Row numbers are first_row + 1 + i, or `rows` when given.
  Result<CheckedBatch> Add(const std::shared_ptr<arrow::RecordBatch>& batch, int64_t first_row,
                           std::shared_ptr<arrow::Int64Array> rows = nullptr);

  // Judges the run at time `now_us` (freshness) and releases the held rows. Call once.
  Result<FinishedRun> Finish(int64_t now_us);

 private:
  class Impl;
  explicit Validator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fst::quality
