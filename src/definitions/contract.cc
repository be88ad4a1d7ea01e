#include "featherstone/definitions/contract.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <set>
#include <stdexcept>

#include "featherstone/core/time.h"

namespace fst::definitions {
namespace {

using nlohmann::json;

struct KindName {
  ExpectationKind kind;
  std::string_view name;
};

constexpr KindName kKindNames[] = {
    {ExpectationKind::kNotNull, "not_null"},
    {ExpectationKind::kUnique, "unique"},
    {ExpectationKind::kBetween, "between"},
    {ExpectationKind::kInSet, "in_set"},
    {ExpectationKind::kRegex, "regex"},
    {ExpectationKind::kNullRateMax, "null_rate_max"},
    {ExpectationKind::kRowCountBetween, "row_count_between"},
    {ExpectationKind::kFreshnessMax, "freshness_max"},
    {ExpectationKind::kMeanBetween, "mean_between"},
};

bool IsTimeType(core::ValueType type) {
  return type == core::ValueType::kTimestamp || type == core::ValueType::kDate;
}

bool IsNumericType(core::ValueType type) {
  using core::ValueType;
  return type == ValueType::kInt32 || type == ValueType::kInt64 || type == ValueType::kFloat32 ||
         type == ValueType::kFloat64;
}

bool IsListType(core::ValueType type) {
  return type == core::ValueType::kListFloat32 || type == core::ValueType::kListString;
}

// Whether the column is a timestamp or date, whose bounds are written as timestamps.
bool HasTimeBounds(const Expectation& e, const core::Schema& schema) {
  if (e.kind != ExpectationKind::kBetween || e.columns.size() != 1) return false;
  const core::ColumnSpec* column = core::FindColumn(schema, e.columns[0]);
  return column != nullptr && IsTimeType(column->type);
}

json Bound(const std::optional<double>& value, bool time) {
  if (!value.has_value()) return nullptr;
  if (time) return core::FormatTimestamp(static_cast<int64_t>(*value));
  return *value;
}

json ExpectationSpec(const Expectation& e, const core::Schema& schema) {
  json spec = {{"expect", ExpectationName(e.kind)},
               {"severity", e.severity == Severity::kWarn ? "warn" : "error"}};
  if (IsRowLevel(e.kind)) spec["mostly"] = e.mostly;
  const std::string column = e.columns.empty() ? "" : e.columns[0];
  switch (e.kind) {
    case ExpectationKind::kNotNull:
      spec["column"] = column;
      break;
    case ExpectationKind::kUnique:
      spec["columns"] = e.columns;
      break;
    case ExpectationKind::kBetween: {
      const bool time = HasTimeBounds(e, schema);
      spec["column"] = column;
      spec["min"] = Bound(e.min, time);
      spec["max"] = Bound(e.max, time);
      spec["strict_min"] = e.strict_min;
      spec["strict_max"] = e.strict_max;
      break;
    }
    case ExpectationKind::kInSet:
      spec["column"] = column;
      spec["values"] = e.values;
      break;
    case ExpectationKind::kRegex:
      spec["column"] = column;
      spec["regex"] = e.regex;
      break;
    case ExpectationKind::kNullRateMax:
      spec["column"] = column;
      spec["max"] = Bound(e.max, false);
      break;
    case ExpectationKind::kRowCountBetween:
      spec["min"] = e.min.has_value() ? json(static_cast<int64_t>(*e.min)) : json(nullptr);
      spec["max"] = e.max.has_value() ? json(static_cast<int64_t>(*e.max)) : json(nullptr);
      break;
    case ExpectationKind::kFreshnessMax:
      spec["column"] = column;
      spec["max"] = core::FormatDuration(e.max_age_us);
      break;
    case ExpectationKind::kMeanBetween:
      spec["column"] = column;
      spec["min"] = Bound(e.min, false);
      spec["max"] = Bound(e.max, false);
      break;
  }
  return spec;
}

class Malformed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void ExpectKeys(const json& spec, std::initializer_list<std::string_view> keys) {
  if (!spec.is_object()) throw Malformed("expected an object, got " + spec.dump());
  for (std::string_view key : keys) {
    if (!spec.contains(key)) throw Malformed("missing key '" + std::string(key) + "'");
  }
  for (const auto& [key, value] : spec.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      throw Malformed("unknown key '" + key + "'");
    }
  }
}

std::optional<double> BoundFrom(const json& value, bool time) {
  if (value.is_null()) return std::nullopt;
  if (time && value.is_string()) {
    auto parsed = core::ParseTimestamp(value.get<std::string>());
    if (!parsed.ok()) throw Malformed(parsed.status().message());
    return static_cast<double>(*parsed);
  }
  return value.get<double>();
}

Expectation ExpectationFrom(const json& spec, const core::Schema& schema) {
  Expectation e;
  const auto kind = ParseExpectationKind(spec.at("expect").get<std::string>());
  if (!kind.has_value()) throw Malformed("unknown expectation " + spec.at("expect").dump());
  e.kind = *kind;
  const std::string severity = spec.at("severity").get<std::string>();
  if (severity != "warn" && severity != "error") throw Malformed("bad severity " + severity);
  e.severity = severity == "warn" ? Severity::kWarn : Severity::kError;
  auto column = [&] {
    const std::string name = spec.at("column").get<std::string>();
    if (!name.empty()) e.columns = {name};
  };
  switch (e.kind) {
    case ExpectationKind::kNotNull:
      ExpectKeys(spec, {"expect", "severity", "mostly", "column"});
      column();
      break;
    case ExpectationKind::kUnique:
      ExpectKeys(spec, {"expect", "severity", "mostly", "columns"});
      e.columns = spec.at("columns").get<std::vector<std::string>>();
      break;
    case ExpectationKind::kBetween:
      ExpectKeys(spec, {"expect", "severity", "mostly", "column", "min", "max", "strict_min",
                        "strict_max"});
      column();
      e.min = BoundFrom(spec.at("min"), HasTimeBounds(e, schema));
      e.max = BoundFrom(spec.at("max"), HasTimeBounds(e, schema));
      e.strict_min = spec.at("strict_min").get<bool>();
      e.strict_max = spec.at("strict_max").get<bool>();
      break;
    case ExpectationKind::kInSet:
      ExpectKeys(spec, {"expect", "severity", "mostly", "column", "values"});
      column();
      e.values = spec.at("values").get<std::vector<std::string>>();
      break;
    case ExpectationKind::kRegex:
      ExpectKeys(spec, {"expect", "severity", "mostly", "column", "regex"});
      column();
      e.regex = spec.at("regex").get<std::string>();
      break;
    case ExpectationKind::kNullRateMax:
      ExpectKeys(spec, {"expect", "severity", "column", "max"});
      column();
      e.max = BoundFrom(spec.at("max"), false);
      break;
    case ExpectationKind::kRowCountBetween:
      ExpectKeys(spec, {"expect", "severity", "min", "max"});
      e.min = BoundFrom(spec.at("min"), false);
      e.max = BoundFrom(spec.at("max"), false);
      break;
    case ExpectationKind::kFreshnessMax: {
      ExpectKeys(spec, {"expect", "severity", "column", "max"});
      column();
      auto age = core::ParseDuration(spec.at("max").get<std::string>());
      if (!age.ok()) throw Malformed(age.status().message());
      e.max_age_us = *age;
      break;
    }
    case ExpectationKind::kMeanBetween:
      ExpectKeys(spec, {"expect", "severity", "column", "min", "max"});
      column();
      e.min = BoundFrom(spec.at("min"), false);
      e.max = BoundFrom(spec.at("max"), false);
      break;
  }
  if (IsRowLevel(e.kind)) e.mostly = spec.at("mostly").get<double>();
  return e;
}

std::string Fmt(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::abs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  json j = value;
  return j.dump();
}

// Whether `text` reads as a value of `type` (in_set values).
bool ParsesAs(core::ValueType type, const std::string& text) {
  using core::ValueType;
  const char* begin = text.c_str();
  char* end = nullptr;
  switch (type) {
    case ValueType::kBool:
      return text == "true" || text == "false" || text == "1" || text == "0";
    case ValueType::kInt32:
    case ValueType::kInt64: {
      if (text.empty()) return false;
      errno = 0;
      const long long v = std::strtoll(begin, &end, 10);
      if (errno != 0 || *end != '\0') return false;
      return type == ValueType::kInt64 || (v >= INT32_MIN && v <= INT32_MAX);
    }
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      if (text.empty()) return false;
      std::strtod(begin, &end);
      return *end == '\0';
    case ValueType::kTimestamp:
    case ValueType::kDate:
      return core::ParseTimestamp(text).ok();
    case ValueType::kString:
    case ValueType::kBytes:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view ExpectationName(ExpectationKind kind) {
  for (const auto& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "?";
}

std::optional<ExpectationKind> ParseExpectationKind(std::string_view name) {
  for (const auto& entry : kKindNames) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

std::string ExpectationNames() {
  std::string out;
  for (const auto& entry : kKindNames) {
    if (!out.empty()) out += ", ";
    out += entry.name;
  }
  return out;
}

bool IsRowLevel(ExpectationKind kind) {
  switch (kind) {
    case ExpectationKind::kNotNull:
    case ExpectationKind::kUnique:
    case ExpectationKind::kBetween:
    case ExpectationKind::kInSet:
    case ExpectationKind::kRegex:
      return true;
    default:
      return false;
  }
}

std::string Expectation::RuleName() const {
  std::string name(ExpectationName(kind));
  if (columns.empty()) return name;
  name += "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) name += ",";
    name += columns[i];
  }
  return name + ")";
}

json ContractSpec(const Contract& contract, const core::Schema& schema) {
  json expectations = json::array();
  for (const auto& e : contract.expectations) expectations.push_back(ExpectationSpec(e, schema));
  json breaker = nullptr;
  if (contract.breaker.has_value()) {
    breaker = {{"threshold", contract.breaker->threshold},
               {"half_open_after", core::FormatDuration(contract.breaker->half_open_after_us)}};
  }
  return {{"policy",
           contract.policy == ContractPolicy::kRejectBatch ? "reject_batch" : "quarantine"},
          {"breaker", std::move(breaker)},
          {"expectations", std::move(expectations)}};
}

Result<Contract> ContractFromSpec(const json& spec, const core::Schema& schema) {
  try {
    ExpectKeys(spec, {"policy", "breaker", "expectations"});
    Contract contract;
    const std::string policy = spec.at("policy").get<std::string>();
    if (policy == "reject_batch") {
      contract.policy = ContractPolicy::kRejectBatch;
    } else if (policy != "quarantine") {
      throw Malformed("unknown policy '" + policy + "'");
    }
    const json& breaker = spec.at("breaker");
    if (!breaker.is_null()) {
      ExpectKeys(breaker, {"threshold", "half_open_after"});
      BreakerConfig config;
      config.threshold = breaker.at("threshold").get<double>();
      auto after = core::ParseDuration(breaker.at("half_open_after").get<std::string>());
      if (!after.ok()) throw Malformed(after.status().message());
      config.half_open_after_us = *after;
      contract.breaker = config;
    }
    for (const auto& item : spec.at("expectations")) {
      contract.expectations.push_back(ExpectationFrom(item, schema));
    }
    return contract;
  } catch (const std::exception& e) {
    return Status::Invalid("contract: ", e.what());
  }
}

void CheckContract(const Contract& contract, const core::Schema& schema,
                   const std::string& timestamp_field, std::vector<ContractProblem>* problems) {
  if (contract.breaker.has_value()) {
    const double t = contract.breaker->threshold;
    if (!(t >= 0.0 && t <= 1.0)) {
      problems->push_back({0, 0, "breaker threshold " + Fmt(t) +
                                     " must be a fraction of rows between 0 and 1"});
    }
  }
  for (const auto& e : contract.expectations) {
    auto add = [&](std::string message) {
      problems->push_back({e.line, e.column, e.RuleName() + ": " + message});
    };
    if (!(e.mostly >= 0.0 && e.mostly <= 1.0)) {
      add("mostly " + Fmt(e.mostly) + " must be between 0 and 1");
    }
    std::vector<const core::ColumnSpec*> columns;
    std::set<std::string> seen;
    for (const auto& name : e.columns) {
      const core::ColumnSpec* column = core::FindColumn(schema, name);
      if (!seen.insert(name).second) add("column '" + name + "' is listed twice");
      if (column == nullptr) {
        std::string known;
        for (const auto& c : schema) known += (known.empty() ? "" : ", ") + c.name;
        add("column '" + name + "' is not in the schema (columns: " + known + ")");
      } else {
        columns.push_back(column);
      }
    }
    const bool needs_column = e.kind != ExpectationKind::kRowCountBetween &&
                              e.kind != ExpectationKind::kFreshnessMax;
    if (needs_column && e.columns.empty()) add("needs a column");
    if (e.kind != ExpectationKind::kUnique && e.columns.size() > 1) {
      add("takes one column (only unique takes several)");
    }
    const core::ColumnSpec* column = columns.size() == 1 ? columns[0] : nullptr;
    const std::string type =
        column == nullptr ? "" : std::string(core::ValueTypeName(column->type));
    auto bounds = [&](bool need_one) {
      if (need_one && !e.min.has_value() && !e.max.has_value()) add("needs min, max or both");
      if (e.min.has_value() && e.max.has_value() && *e.min > *e.max) {
        add("min " + Fmt(*e.min) + " is greater than max " + Fmt(*e.max));
      }
    };
    switch (e.kind) {
      case ExpectationKind::kNotNull:
        break;
      case ExpectationKind::kUnique:
        for (const auto* c : columns) {
          if (IsListType(c->type)) {
            add("column '" + c->name + "' is a list; unique needs scalar columns");
          }
        }
        break;
      case ExpectationKind::kBetween:
        if (column != nullptr && !IsNumericType(column->type) && !IsTimeType(column->type)) {
          add("needs a numeric, timestamp or date column; '" + column->name + "' is " + type);
        }
        bounds(true);
        break;
      case ExpectationKind::kInSet:
        if (e.values.empty()) add("needs at least one value in 'values'");
        if (column != nullptr && (IsListType(column->type))) {
          add("needs a scalar column; '" + column->name + "' is " + type);
        } else if (column != nullptr) {
          for (const auto& value : e.values) {
            if (!ParsesAs(column->type, value)) {
              add("value '" + value + "' is not a valid " + type + " (the type of '" +
                  column->name + "')");
            }
          }
        }
        break;
      case ExpectationKind::kRegex:
        if (e.regex.empty()) add("needs a non-empty 'regex'");
        if (column != nullptr && column->type != core::ValueType::kString) {
          add("needs a string column; '" + column->name + "' is " + type);
        }
        break;
      case ExpectationKind::kNullRateMax:
        if (!e.max.has_value() || !(*e.max >= 0.0 && *e.max <= 1.0)) {
          add("needs 'max', a fraction of rows between 0 and 1");
        }
        break;
      case ExpectationKind::kRowCountBetween:
        bounds(true);
        if ((e.min.has_value() && (*e.min < 0 || *e.min != std::floor(*e.min))) ||
            (e.max.has_value() && (*e.max < 0 || *e.max != std::floor(*e.max)))) {
          add("min and max are row counts: whole numbers, 0 or more");
        }
        break;
      case ExpectationKind::kFreshnessMax: {
        if (e.max_age_us <= 0) add("needs 'max', a duration greater than 0 (e.g. max: 1d)");
        const std::string& name = e.columns.empty() ? timestamp_field : e.columns[0];
        const core::ColumnSpec* ts = core::FindColumn(schema, name);
        if (ts != nullptr && ts->type != core::ValueType::kTimestamp) {
          add("needs a timestamp column; '" + name + "' is " +
              std::string(core::ValueTypeName(ts->type)));
        }
        break;
      }
      case ExpectationKind::kMeanBetween:
        if (column != nullptr && !IsNumericType(column->type)) {
          add("needs a numeric column; '" + column->name + "' is " + type);
        }
        bounds(true);
        break;
    }
  }
}

}  // namespace fst::definitions
