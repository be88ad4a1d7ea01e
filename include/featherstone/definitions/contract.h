// Data contracts of sources (DESIGN section 5): expectations over the rows of an ingest, the
// policy for rows that break them and the circuit breaker. The YAML shape and the semantics
// users rely on are in docs/quality.md; evaluation lives in src/quality.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/core/types.h"

namespace fst::definitions {

enum class ExpectationKind {
  // Row-level: each row passes or fails; failing rows can be quarantined.
  kNotNull,
  kUnique,  // over one or several columns, across the whole run
  kBetween,
  kInSet,
  kRegex,
  // Aggregate: one verdict for the whole run.
  kNullRateMax,
  kRowCountBetween,
  kFreshnessMax,
  kMeanBetween,
};

// The YAML name ("not_null", ...) and its inverse (nullopt when unknown).
std::string_view ExpectationName(ExpectationKind kind);
std::optional<ExpectationKind> ParseExpectationKind(std::string_view name);
// The names accepted after `expect:`, comma-separated, for messages.
std::string ExpectationNames();
bool IsRowLevel(ExpectationKind kind);

enum class Severity { kError, kWarn };
enum class ContractPolicy { kQuarantine, kRejectBatch };

struct Expectation {
  ExpectationKind kind = ExpectationKind::kNotNull;
  // The checked columns: one for most kinds, one or more for unique, none for
  // row_count_between; freshness_max defaults to the source's timestamp_field.
  std::vector<std::string> columns;
  std::optional<double> min;  // between, mean_between, row_count_between; timestamps as µs
  std::optional<double> max;  // also null_rate_max (a fraction)
  bool strict_min = false;    // between: exclusive bounds
  bool strict_max = false;
  std::vector<std::string> values;  // in_set, as written (read as the column's type)
  std::string regex;                // regex: RE2 syntax, matched anywhere in the value
  int64_t max_age_us = 0;           // freshness_max
  double mostly = 1.0;              // row-level: the fraction of rows that must pass
  Severity severity = Severity::kError;
  int line = 0;  // YAML position, 0 when unknown (not part of the spec)
  int column = 0;

  // A short stable name used in results and quarantine rows: "not_null(amount)",
  // "unique(customer_id,order_id)", "row_count_between".
  std::string RuleName() const;
};

struct BreakerConfig {
  double threshold = 0.0;        // opens when the bad share of a run is above this
  int64_t half_open_after_us = 0;  // wait before a probe run is let through
};

struct Contract {
  ContractPolicy policy = ContractPolicy::kQuarantine;
  std::optional<BreakerConfig> breaker;
  std::vector<Expectation> expectations;
};

// The canonical spec JSON of a contract (defaults included, so equal contracts hash equally).
// `schema` gives timestamp columns, whose between bounds are written as ISO-8601 text.
nlohmann::json ContractSpec(const Contract& contract, const core::Schema& schema);

// Inverse of ContractSpec. Errors: Invalid describing the malformed part.
Result<Contract> ContractFromSpec(const nlohmann::json& spec, const core::Schema& schema);

// Cross-checks of a source's contract against its schema: columns exist; between and
// mean_between need numeric (between also timestamp/date) columns; regex needs a string
// column; in_set values parse as the column's type; min <= max; fractions in [0, 1];
// freshness_max needs a timestamp column. Each problem is appended to `problems` with the
// expectation's YAML position (0 when unknown); the message does not name the source.
struct ContractProblem {
  int line = 0;
  int column = 0;
  std::string message;
};
void CheckContract(const Contract& contract, const core::Schema& schema,
                   const std::string& timestamp_field, std::vector<ContractProblem>* problems);

}  // namespace fst::definitions
