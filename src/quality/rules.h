// Compiled expectations and their vectorized row-level evaluation. Internal to src/quality.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/definitions/model.h"
#include "unique_set.h"

namespace fst::quality::internal {

// Sample size of partial_unexpected_list (the Great Expectations default).
inline constexpr size_t kPartialListSize = 20;

struct Rule {
  definitions::Expectation expectation;  // freshness column resolved
  std::string name;                      // Expectation::RuleName()
  std::string implicit;  // why an implicit not_null exists ("declared nullable: false"), or ""
  std::vector<core::ColumnSpec> columns;
  bool error = true;    // severity error
  bool hard = true;     // error and mostly = 1: a failing row is bad at once
  bool row_level = true;

  // between, as scalars of the column's type; `never` when no value can pass.
  std::shared_ptr<arrow::Scalar> lower, upper;
  bool never = false;
  // in_set: the values as an array of the column's type.
  std::shared_ptr<arrow::Array> value_set;
  // unique: the keys seen so far in the run.
  std::unique_ptr<UniqueSet> seen;

  // Run totals, Great Expectations style.
  int64_t element_count = 0;
  int64_t missing_count = 0;  // null values (rows with a null key column for unique)
  int64_t unexpected_count = 0;
  nlohmann::json partial_unexpected_list = nlohmann::json::array();
  std::vector<int64_t> partial_unexpected_rows;  // 1-based input rows of those samples
};

// Compiles `e` against `source`. Errors: Invalid naming the rule (bad regex, a column the
// batch type cannot hold).
Result<std::unique_ptr<Rule>> CompileRule(const definitions::Expectation& e,
                                          const definitions::Source& source);

// The positions (ascending, within `batch`) of rows failing row-level `rule`, and updates the
// rule's counts and samples. `rows` gives 1-based input row numbers for the samples.
Result<std::vector<int32_t>> EvaluateRowRule(Rule& rule, const arrow::RecordBatch& batch,
                                             const arrow::Int64Array& rows);

// Why row `i` of `batch` fails `rule`: "amount=-5 is below min 0", "status='lost' is not in
// [new, paid]".
std::string FailureReason(const Rule& rule, const arrow::RecordBatch& batch, int64_t i);

// The Great Expectations expectation_type and kwargs of `rule`.
std::string ExpectationType(const Rule& rule);
nlohmann::json ExpectationKwargs(const Rule& rule);

}  // namespace fst::quality::internal
