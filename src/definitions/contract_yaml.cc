#include "contract_yaml.h"

#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "featherstone/core/closest_name.h"
#include "featherstone/core/time.h"
#include "featherstone/definitions/yaml_keys.h"

namespace fst::definitions::internal {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::string_view kContractKeys[] = {"policy", "breaker", "expectations"};
constexpr std::string_view kBreakerKeys[] = {"threshold", "half_open_after"};
constexpr std::string_view kPolicies[] = {"quarantine", "reject_batch"};
constexpr std::string_view kSeverities[] = {"error", "warn"};
constexpr std::string_view kExpectationNames[] = {
    "not_null",      "unique",            "between",       "in_set",      "regex",
    "null_rate_max", "row_count_between", "freshness_max", "mean_between"};

constexpr std::string_view kNotNullKeys[] = {"expect", "column", "mostly", "severity"};
constexpr std::string_view kUniqueKeys[] = {"expect", "column", "columns", "mostly", "severity"};
constexpr std::string_view kBetweenKeys[] = {"expect", "column",     "min",        "max",
                                             "mostly", "strict_min", "strict_max", "severity"};
constexpr std::string_view kInSetKeys[] = {"expect", "column", "values", "mostly", "severity"};
constexpr std::string_view kRegexKeys[] = {"expect", "column", "regex", "mostly", "severity"};
constexpr std::string_view kNullRateKeys[] = {"expect", "column", "max", "severity"};
constexpr std::string_view kRowCountKeys[] = {"expect", "min", "max", "severity"};
constexpr std::string_view kFreshnessKeys[] = {"expect", "column", "max", "severity"};
constexpr std::string_view kMeanKeys[] = {"expect", "column", "min", "max", "severity"};

Keys AllowedKeys(ExpectationKind kind) {
  switch (kind) {
    case ExpectationKind::kNotNull: return kNotNullKeys;
    case ExpectationKind::kUnique: return kUniqueKeys;
    case ExpectationKind::kBetween: return kBetweenKeys;
    case ExpectationKind::kInSet: return kInSetKeys;
    case ExpectationKind::kRegex: return kRegexKeys;
    case ExpectationKind::kNullRateMax: return kNullRateKeys;
    case ExpectationKind::kRowCountBetween: return kRowCountKeys;
    case ExpectationKind::kFreshnessMax: return kFreshnessKeys;
    case ExpectationKind::kMeanBetween: return kMeanKeys;
  }
  return kNotNullKeys;
}

// "; did you mean 'x'?" for the closest allowed word within two edits (or a prefix match),
// else " (expected one of: a, b)".
std::string Hint(std::string_view word, Keys allowed) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view candidate : allowed) {
    size_t distance = core::EditDistance(word, candidate);
    const bool prefix = candidate.size() >= 3 && word.size() >= 3 &&
                        (candidate.starts_with(word) || word.starts_with(candidate));
    if (distance >= best_distance && prefix) {
      distance = best_distance - 1;
    }
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best.empty()) return "; did you mean '" + std::string(best) + "'?";
  std::string list;
  for (std::string_view candidate : allowed) {
    if (!list.empty()) list += ", ";
    list += candidate;
  }
  return " (expected one of: " + list + ")";
}

class ContractReader {
 public:
  ContractReader(std::string file, std::string what, const core::Schema& schema)
      : file_(std::move(file)), what_(std::move(what)), schema_(schema) {}

  Result<Contract> Read(const YAML::Node& node) const;

 private:
  template <typename... Args>
  Status Error(const YAML::Mark& mark, Args&&... args) const {
    if (mark.is_null()) return Status::Invalid(file_, ": ", std::forward<Args>(args)...);
    return Status::Invalid(file_, ":", mark.line + 1, ":", mark.column + 1, ": ",
                           std::forward<Args>(args)...);
  }

  // Checks `node` is a map whose keys are unique and allowed.
  Status CheckMap(const YAML::Node& node, const std::string& what, Keys allowed) const;
  // The position of `key` in map `node` (the map's when absent).
  static YAML::Mark KeyMark(const YAML::Node& node, std::string_view key);
  static bool Has(const YAML::Node& node, std::string_view key) {
    const YAML::Node value = node[std::string(key)];
    return value.IsDefined() && !value.IsNull();
  }

  Result<std::string> Scalar(const YAML::Node& node, std::string_view key,
                             const std::string& what) const;
  Result<double> Number(const YAML::Node& node, std::string_view key,
                        const std::string& what) const;
  Result<bool> Bool(const YAML::Node& node, std::string_view key, const std::string& what) const;
  Result<int64_t> Duration(const YAML::Node& node, std::string_view key,
                           const std::string& what) const;
  // One of `choices`, with a hint otherwise.
  Result<std::string> Choice(const YAML::Node& node, std::string_view key,
                             const std::string& what, Keys choices) const;
  // A bound of between: a timestamp for timestamp and date columns, else a number.
  Result<double> Bound(const YAML::Node& node, std::string_view key, const std::string& what,
                       const std::vector<std::string>& columns) const;

  Result<BreakerConfig> ReadBreaker(const YAML::Node& node) const;
  Result<Expectation> ReadExpectation(const YAML::Node& node) const;

  std::string file_;
  std::string what_;
  const core::Schema& schema_;
};

Status ContractReader::CheckMap(const YAML::Node& node, const std::string& what,
                                Keys allowed) const {
  if (!node.IsMap()) return Error(node.Mark(), what, " must be a map, got ", DescribeYaml(node));
  auto problem = FindYamlKeyProblem(node, allowed, what,
                                    [&](const std::string& key) { return Hint(key, allowed); });
  if (problem.has_value()) return Error(problem->mark, problem->message);
  return Status::OK();
}

YAML::Mark ContractReader::KeyMark(const YAML::Node& node, std::string_view key) {
  for (const auto& entry : node) {
    if (entry.first.Scalar() == key) {
      return entry.second.IsNull() ? entry.first.Mark() : entry.second.Mark();
    }
  }
  return node.Mark();
}

Result<std::string> ContractReader::Scalar(const YAML::Node& node, std::string_view key,
                                           const std::string& what) const {
  const YAML::Node value = node[std::string(key)];
  if (!value.IsScalar()) {
    return Error(KeyMark(node, key), "'", key, "' of ", what, " must be a single value, got ",
                 DescribeYaml(value));
  }
  return value.Scalar();
}

Result<double> ContractReader::Number(const YAML::Node& node, std::string_view key,
                                      const std::string& what) const {
  const YAML::Node value = node[std::string(key)];
  double number = 0;
  if (!value.IsScalar() || !YAML::convert<double>::decode(value, number)) {
    return Error(KeyMark(node, key), "'", key, "' of ", what, " must be a number, got ",
                 DescribeYaml(value));
  }
  return number;
}

Result<bool> ContractReader::Bool(const YAML::Node& node, std::string_view key,
                                  const std::string& what) const {
  const YAML::Node value = node[std::string(key)];
  bool parsed = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
    return Error(KeyMark(node, key), "'", key, "' of ", what, " must be a boolean, got ",
                 DescribeYaml(value));
  }
  return parsed;
}

Result<int64_t> ContractReader::Duration(const YAML::Node& node, std::string_view key,
                                         const std::string& what) const {
  FST_ASSIGN_OR_RAISE(std::string text, Scalar(node, key, what));
  auto parsed = core::ParseDuration(text);
  if (!parsed.ok()) {
    return Error(KeyMark(node, key), "'", key, "' of ", what, ": ", parsed.status().message());
  }
  return *parsed;
}

Result<std::string> ContractReader::Choice(const YAML::Node& node, std::string_view key,
                                           const std::string& what, Keys choices) const {
  FST_ASSIGN_OR_RAISE(std::string text, Scalar(node, key, what));
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  return Error(KeyMark(node, key), "unknown ", key, " '", text, "' in ", what,
               Hint(text, choices));
}

Result<double> ContractReader::Bound(const YAML::Node& node, std::string_view key,
                                     const std::string& what,
                                     const std::vector<std::string>& columns) const {
  const core::ColumnSpec* column =
      columns.size() == 1 ? core::FindColumn(schema_, columns[0]) : nullptr;
  const bool time = column != nullptr && (column->type == core::ValueType::kTimestamp ||
                                          column->type == core::ValueType::kDate);
  if (!time) return Number(node, key, what);
  FST_ASSIGN_OR_RAISE(std::string text, Scalar(node, key, what));
  auto parsed = core::ParseTimestamp(text);
  if (!parsed.ok()) {
    return Error(KeyMark(node, key), "'", key, "' of ", what, " (column '", column->name,
                 "' is ", core::ValueTypeName(column->type), "): ", parsed.status().message());
  }
  return static_cast<double>(*parsed);
}

Result<BreakerConfig> ContractReader::ReadBreaker(const YAML::Node& node) const {
  const std::string what = "the breaker of " + what_;
  FST_RETURN_NOT_OK(CheckMap(node, what, kBreakerKeys));
  BreakerConfig config;
  config.half_open_after_us = 10 * 60 * core::kMicrosPerSecond;
  if (!Has(node, "threshold")) {
    return Error(node.Mark(), what, " is missing required key 'threshold' (the share of bad "
                 "rows in a run that opens it, e.g. 0.2)");
  }
  FST_ASSIGN_OR_RAISE(config.threshold, Number(node, "threshold", what));
  if (Has(node, "half_open_after")) {
    FST_ASSIGN_OR_RAISE(config.half_open_after_us, Duration(node, "half_open_after", what));
  }
  return config;
}

Result<Expectation> ContractReader::ReadExpectation(const YAML::Node& node) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "each expectation of ", what_, " must be a map like "
                 "{expect: not_null, column: amount}, got ", DescribeYaml(node));
  }
  if (!Has(node, "expect")) {
    return Error(node.Mark(), "an expectation of ", what_, " is missing required key "
                 "'expect' (one of: ", ExpectationNames(), ")");
  }
  const std::string context = "expectations of " + what_;
  FST_ASSIGN_OR_RAISE(std::string name, Scalar(node, "expect", context));
  const auto kind = ParseExpectationKind(name);
  if (!kind.has_value()) {
    return Error(KeyMark(node, "expect"), "unknown expectation '", name, "' in ", context,
                 Hint(name, kExpectationNames));
  }
  Expectation e;
  e.kind = *kind;
  e.line = node.Mark().line + 1;
  e.column = node.Mark().column + 1;
  std::string what = "expectation " + name;
  if (node["column"].IsDefined() && node["column"].IsScalar()) {
    what += "(" + node["column"].Scalar() + ")";
  }
  what += " of " + what_;
  if (!IsRowLevel(e.kind) && node["mostly"].IsDefined()) {
    return Error(KeyMark(node, "mostly"), "'mostly' in ", what,
                 " applies only to row-level expectations (not_null, unique, between, in_set, "
                 "regex); ", name, " is one verdict for the whole run");
  }
  FST_RETURN_NOT_OK(CheckMap(node, what, AllowedKeys(e.kind)));

  if (Has(node, "column")) {
    FST_ASSIGN_OR_RAISE(std::string column, Scalar(node, "column", what));
    e.columns.push_back(std::move(column));
  }
  if (Has(node, "columns")) {
    if (!e.columns.empty()) {
      return Error(KeyMark(node, "columns"), what, " has both 'column' and 'columns'; use one");
    }
    const YAML::Node list = node["columns"];
    if (!list.IsSequence()) {
      return Error(KeyMark(node, "columns"), "'columns' of ", what,
                   " must be a list of column names, got ", DescribeYaml(list));
    }
    for (const auto& item : list) {
      if (!item.IsScalar()) {
        return Error(item.Mark(), "'columns' of ", what, " must be a list of column names, got ",
                     DescribeYaml(item), " in it");
      }
      e.columns.push_back(item.Scalar());
    }
  }
  const bool needs_column = e.kind != ExpectationKind::kRowCountBetween &&
                            e.kind != ExpectationKind::kFreshnessMax;
  if (needs_column && e.columns.empty()) {
    return Error(node.Mark(), what, " is missing required key '",
                 e.kind == ExpectationKind::kUnique ? "column' or 'columns" : "column", "'");
  }
  if (Has(node, "mostly")) {
    FST_ASSIGN_OR_RAISE(e.mostly, Number(node, "mostly", what));
  }
  if (Has(node, "severity")) {
    FST_ASSIGN_OR_RAISE(std::string severity, Choice(node, "severity", what, kSeverities));
    e.severity = severity == "warn" ? Severity::kWarn : Severity::kError;
  }
  switch (e.kind) {
    case ExpectationKind::kBetween: {
      if (Has(node, "strict_min")) {
        FST_ASSIGN_OR_RAISE(e.strict_min, Bool(node, "strict_min", what));
      }
      if (Has(node, "strict_max")) {
        FST_ASSIGN_OR_RAISE(e.strict_max, Bool(node, "strict_max", what));
      }
      [[fallthrough]];
    }
    case ExpectationKind::kMeanBetween:
    case ExpectationKind::kRowCountBetween: {
      if (Has(node, "min")) {
        FST_ASSIGN_OR_RAISE(e.min, Bound(node, "min", what, e.columns));
      }
      if (Has(node, "max")) {
        FST_ASSIGN_OR_RAISE(e.max, Bound(node, "max", what, e.columns));
      }
      if (!e.min.has_value() && !e.max.has_value()) {
        return Error(node.Mark(), what, " needs 'min', 'max' or both");
      }
      break;
    }
    case ExpectationKind::kInSet: {
      const YAML::Node values = node["values"];
      if (!values.IsDefined() || !values.IsSequence()) {
        return Error(values.IsDefined() ? KeyMark(node, "values") : node.Mark(), what,
                     " needs 'values', a list like [new, paid]");
      }
      for (const auto& item : values) {
        if (!item.IsScalar()) {
          return Error(item.Mark(), "'values' of ", what, " must be a list of values, got ",
                       DescribeYaml(item), " in it");
        }
        e.values.push_back(item.Scalar());
      }
      break;
    }
    case ExpectationKind::kRegex: {
      if (!Has(node, "regex")) {
        return Error(node.Mark(), what, " is missing required key 'regex'");
      }
      FST_ASSIGN_OR_RAISE(e.regex, Scalar(node, "regex", what));
      break;
    }
    case ExpectationKind::kNullRateMax: {
      if (!Has(node, "max")) {
        return Error(node.Mark(), what,
                     " is missing required key 'max' (the largest share of nulls, e.g. 0.01)");
      }
      FST_ASSIGN_OR_RAISE(e.max, Number(node, "max", what));
      break;
    }
    case ExpectationKind::kFreshnessMax: {
      if (!Has(node, "max")) {
        return Error(node.Mark(), what,
                     " is missing required key 'max' (the oldest allowed newest event, e.g. 1d)");
      }
      FST_ASSIGN_OR_RAISE(e.max_age_us, Duration(node, "max", what));
      break;
    }
    case ExpectationKind::kNotNull:
    case ExpectationKind::kUnique:
      break;
  }
  return e;
}

Result<Contract> ContractReader::Read(const YAML::Node& node) const {
  const std::string what = "the contract of " + what_;
  FST_RETURN_NOT_OK(CheckMap(node, what, kContractKeys));
  Contract contract;
  if (Has(node, "policy")) {
    FST_ASSIGN_OR_RAISE(std::string policy, Choice(node, "policy", what, kPolicies));
    contract.policy =
        policy == "reject_batch" ? ContractPolicy::kRejectBatch : ContractPolicy::kQuarantine;
  }
  if (Has(node, "breaker")) {
    FST_ASSIGN_OR_RAISE(contract.breaker, ReadBreaker(node["breaker"]));
  }
  if (Has(node, "expectations")) {
    const YAML::Node list = node["expectations"];
    if (!list.IsSequence()) {
      return Error(KeyMark(node, "expectations"), "'expectations' of ", what,
                   " must be a list, got ", DescribeYaml(list));
    }
    for (const auto& item : list) {
      FST_ASSIGN_OR_RAISE(Expectation e, ReadExpectation(item));
      contract.expectations.push_back(std::move(e));
    }
  }
  return contract;
}

}  // namespace

Result<Contract> ReadContractYaml(const YAML::Node& node, const std::string& file,
                                  const std::string& what, const core::Schema& schema) {
  try {
    return ContractReader(file, what, schema).Read(node);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(file, ": invalid contract of ", what, ": ", e.msg);
  }
}

}  // namespace fst::definitions::internal
