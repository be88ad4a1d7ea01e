#include "featherstone/quality/validator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "featherstone/core/time.h"
#include "featherstone/quality/column_metrics.h"
#include "rules.h"
#include "value_text.h"

namespace fst::quality {
namespace {

using definitions::ExpectationKind;
using internal::Rule;
using nlohmann::json;

std::string Percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g%%", fraction * 100.0);
  return text;
}

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

// Whether at least `mostly` of `denominator` values passed (GE: success ratio >= mostly).
bool MostlyPasses(int64_t unexpected, int64_t denominator, double mostly) {
  if (denominator == 0) return true;
  const double passed = static_cast<double>(denominator - unexpected);
  return passed >= mostly * static_cast<double>(denominator) * (1.0 - 1e-12);
}

Result<std::shared_ptr<arrow::Int64Array>> Sequence(int64_t first_row, int64_t n) {
  arrow::Int64Builder builder;
  FST_RETURN_NOT_OK(builder.Reserve(n));
  for (int64_t i = 0; i < n; ++i) builder.UnsafeAppend(first_row + 1 + i);
  std::shared_ptr<arrow::Array> out;
  FST_RETURN_NOT_OK(builder.Finish(&out));
  return std::static_pointer_cast<arrow::Int64Array>(out);
}

Result<std::shared_ptr<arrow::Int32Array>> Positions(const std::vector<int32_t>& positions) {
  arrow::Int32Builder builder;
  FST_RETURN_NOT_OK(builder.AppendValues(positions));
  std::shared_ptr<arrow::Array> out;
  FST_RETURN_NOT_OK(builder.Finish(&out));
  return std::static_pointer_cast<arrow::Int32Array>(out);
}

// The rows of `from` whose `state` is 0, copied with Arrow's filter (runs of selected rows
// are copied in bulk, cheaper than a gather when most rows pass).
Result<RowSet> KeepPassing(const RowSet& from, const std::vector<uint8_t>& state) {
  arrow::BooleanBuilder mask;
  FST_RETURN_NOT_OK(mask.Reserve(static_cast<int64_t>(state.size())));
  for (uint8_t s : state) mask.UnsafeAppend(s == 0);
  FST_ASSIGN_OR_RAISE(auto selection, mask.Finish());
  FST_ASSIGN_OR_RAISE(auto batch, arrow::compute::Filter(arrow::Datum(from.batch), selection));
  FST_ASSIGN_OR_RAISE(auto rows, arrow::compute::Filter(arrow::Datum(from.rows), selection));
  return RowSet{batch.record_batch(),
                std::static_pointer_cast<arrow::Int64Array>(rows.make_array())};
}

Result<RowSet> TakeRows(const RowSet& from, const std::vector<int32_t>& positions) {
  FST_ASSIGN_OR_RAISE(auto indices, Positions(positions));
  FST_ASSIGN_OR_RAISE(auto batch, arrow::compute::Take(arrow::Datum(from.batch), indices));
  FST_ASSIGN_OR_RAISE(auto rows, arrow::compute::Take(arrow::Datum(from.rows), indices));
  return RowSet{batch.record_batch(),
                std::static_pointer_cast<arrow::Int64Array>(rows.make_array())};
}

}  // namespace

std::shared_ptr<arrow::Schema> QuarantineSchema(const core::Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& column : schema) {
    fields.push_back(arrow::field(
        column.name, column.type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8()));
  }
  fields.push_back(arrow::field(kRowColumn, arrow::int64(), false));
  fields.push_back(arrow::field(kRulesColumn, arrow::utf8(), false));
  fields.push_back(arrow::field(kReasonsColumn, arrow::utf8(), false));
  return arrow::schema(fields);
}

class Validator::Impl {
 public:
  Status Init(const definitions::Source& source, const ValidatorOptions& options);
  Result<CheckedBatch> Add(const std::shared_ptr<arrow::RecordBatch>& batch, int64_t first_row,
                           std::shared_ptr<arrow::Int64Array> rows);
  Result<FinishedRun> Finish(int64_t now_us);

 private:
  // Rows held until Finish, with the indices of the soft rules each one failed.
  struct Held {
    RowSet rows;
    std::vector<std::vector<uint16_t>> rules;
  };

  // Quarantine rows for `positions` of `set`, each with its failed rules.
  Result<std::shared_ptr<arrow::RecordBatch>> BuildQuarantine(
      const RowSet& set, const std::vector<int32_t>& positions,
      const std::vector<const std::vector<uint16_t>*>& rules) const;
  // Judges aggregate rule `rule` from the metrics; fills its result JSON.
  bool JudgeAggregate(Rule& rule, int64_t now_us, json* result, std::string* detail) const;

  definitions::Source source_;
  ValidatorOptions options_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::vector<ColumnMetrics> metrics_;
  std::vector<Held> held_;
  int64_t rows_ = 0;
  int64_t bad_ = 0;
  bool finished_ = false;
};

Status Validator::Impl::Init(const definitions::Source& source, const ValidatorOptions& options) {
  source_ = source;
  options_ = options;
  const definitions::Contract contract =
      source.contract.has_value() ? *source.contract : definitions::Contract{};
  // Implicit not_null rules first: declared non-nullable columns, then required columns.
  auto explicit_not_null = [&](const std::string& column) {
    for (const auto& e : contract.expectations) {
      if (e.kind == ExpectationKind::kNotNull && e.columns == std::vector<std::string>{column} &&
          e.severity == definitions::Severity::kError && e.mostly >= 1.0) {
        return true;
      }
    }
    return false;
  };
  auto add_implicit = [&](const std::string& column, const std::string& why) -> Status {
    for (const auto& rule : rules_) {
      if (rule->expectation.columns == std::vector<std::string>{column}) return Status::OK();
    }
    if (explicit_not_null(column)) return Status::OK();
    definitions::Expectation e;
    e.kind = ExpectationKind::kNotNull;
    e.columns = {column};
    FST_ASSIGN_OR_RAISE(auto rule, internal::CompileRule(e, source));
    rule->implicit = why;
    rules_.push_back(std::move(rule));
    return Status::OK();
  };
  for (const auto& column : source.schema) {
    if (!column.nullable) FST_RETURN_NOT_OK(add_implicit(column.name, "declared nullable: false"));
  }
  for (const auto& column : options.required_columns) {
    const bool is_time = column == source.timestamp_field;
    FST_RETURN_NOT_OK(add_implicit(
        column, is_time ? "the event time is required" : "a join key is required"));
  }
  for (const auto& e : contract.expectations) {
    if (options.row_rules_only && !definitions::IsRowLevel(e.kind)) continue;
    FST_ASSIGN_OR_RAISE(auto rule, internal::CompileRule(e, source));
    rules_.push_back(std::move(rule));
  }
  if (rules_.size() > 65535) return Status::Invalid("too many contract rules");
  for (const auto& column : source.schema) metrics_.emplace_back(column);
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> Validator::Impl::BuildQuarantine(
    const RowSet& set, const std::vector<int32_t>& positions,
    const std::vector<const std::vector<uint16_t>*>& rules) const {
  FST_ASSIGN_OR_RAISE(auto indices, Positions(positions));
  arrow::ArrayVector columns;
  for (const auto& column : source_.schema) {
    auto array = set.batch->GetColumnByName(column.name);
    FST_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(*array, *indices));
    FST_ASSIGN_OR_RAISE(auto text, internal::ToTextArray(taken));
    columns.push_back(std::move(text));
  }
  arrow::Int64Builder row_builder;
  arrow::StringBuilder rules_builder, reasons_builder;
  for (size_t k = 0; k < positions.size(); ++k) {
    const int32_t i = positions[k];
    FST_RETURN_NOT_OK(row_builder.Append(set.rows->Value(i)));
    std::string names, reasons;
    for (uint16_t r : *rules[k]) {
      const Rule& rule = *rules_[r];
      names += (names.empty() ? "" : "; ") + rule.name;
      reasons += (reasons.empty() ? "" : "; ") + internal::FailureReason(rule, *set.batch, i);
    }
    FST_RETURN_NOT_OK(rules_builder.Append(names));
    FST_RETURN_NOT_OK(reasons_builder.Append(reasons));
  }
  std::shared_ptr<arrow::Array> array;
  FST_RETURN_NOT_OK(row_builder.Finish(&array));
  columns.push_back(array);
  FST_RETURN_NOT_OK(rules_builder.Finish(&array));
  columns.push_back(array);
  FST_RETURN_NOT_OK(reasons_builder.Finish(&array));
  columns.push_back(array);
  return arrow::RecordBatch::Make(QuarantineSchema(source_.schema),
                                  static_cast<int64_t>(positions.size()), columns);
}

Result<CheckedBatch> Validator::Impl::Add(const std::shared_ptr<arrow::RecordBatch>& batch,
                                          int64_t first_row,
                                          std::shared_ptr<arrow::Int64Array> rows) {
  if (finished_) return Status::Invalid("Validator::Add after Finish");
  const int64_t n = batch->num_rows();
  if (rows == nullptr) {
    FST_ASSIGN_OR_RAISE(rows, Sequence(first_row, n));
  }
  rows_ += n;
  for (size_t c = 0; c < source_.schema.size(); ++c) {
    auto array = batch->GetColumnByName(source_.schema[c].name);
    if (array == nullptr) {
      return Status::Invalid("the batch has no column '", source_.schema[c].name, "'");
    }
    metrics_[c].Add(*array);
  }

  // Failing positions per error-level rule; warn-level rules only count.
  std::vector<std::vector<int32_t>> failing(rules_.size());
  bool any = false;
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = *rules_[r];
    if (!rule.row_level) continue;
    FST_ASSIGN_OR_RAISE(failing[r], internal::EvaluateRowRule(rule, *batch, *rows));
    if (!rule.error) failing[r].clear();
    any = any || !failing[r].empty();
  }
  CheckedBatch out;
  const RowSet all{batch, rows};
  if (!any) {
    out.good = all;
    return out;
  }

  // state: bit 0 = failed a hard rule (bad now), bit 1 = failed a soft rule (held).
  std::vector<uint8_t> state(static_cast<size_t>(n), 0);
  for (size_t r = 0; r < rules_.size(); ++r) {
    const uint8_t bit = rules_[r]->hard ? 1 : 2;
    for (int32_t i : failing[r]) state[static_cast<size_t>(i)] |= bit;
  }
  std::vector<int32_t> bad, held;
  std::vector<int32_t> slot(static_cast<size_t>(n), -1);
  for (int32_t i = 0; i < n; ++i) {
    const uint8_t s = state[static_cast<size_t>(i)];
    if (s == 0) {
      continue;
    } else if (s & 1) {
      slot[static_cast<size_t>(i)] = static_cast<int32_t>(bad.size());
      bad.push_back(i);
    } else {
      slot[static_cast<size_t>(i)] = static_cast<int32_t>(held.size());
      held.push_back(i);
    }
  }
  // Rules per flagged row: all failed error-level rules for bad rows, the soft ones for held.
  std::vector<std::vector<uint16_t>> bad_rules(bad.size()), held_rules(held.size());
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (int32_t i : failing[r]) {
      const int32_t k = slot[static_cast<size_t>(i)];
      if (state[static_cast<size_t>(i)] & 1) {
        bad_rules[static_cast<size_t>(k)].push_back(static_cast<uint16_t>(r));
      } else {
        held_rules[static_cast<size_t>(k)].push_back(static_cast<uint16_t>(r));
      }
    }
  }
  FST_ASSIGN_OR_RAISE(out.good, KeepPassing(all, state));
  out.bad_rows = static_cast<int64_t>(bad.size());
  bad_ += out.bad_rows;
  if (!bad.empty() && options_.build_quarantine) {
    std::vector<const std::vector<uint16_t>*> lists;
    for (const auto& list : bad_rules) lists.push_back(&list);
    FST_ASSIGN_OR_RAISE(out.quarantine, BuildQuarantine(all, bad, lists));
  }
  if (!held.empty()) {
    FST_ASSIGN_OR_RAISE(auto kept, TakeRows(all, held));
    held_.push_back(Held{std::move(kept), std::move(held_rules)});
  }
  return out;
}

bool Validator::Impl::JudgeAggregate(Rule& rule, int64_t now_us, json* result,
                                     std::string* detail) const {
  const definitions::Expectation& e = rule.expectation;
  const ColumnMetrics* metrics = nullptr;
  for (size_t c = 0; c < source_.schema.size(); ++c) {
    if (!rule.columns.empty() && source_.schema[c].name == rule.columns[0].name) {
      metrics = &metrics_[c];
    }
  }
  (*result)["element_count"] = rows_;
  bool ok = true;
  switch (e.kind) {
    case ExpectationKind::kNullRateMax: {
      const double rate = metrics->null_rate();
      ok = rate <= *e.max + 1e-12;
      (*result)["observed_value"] = rate;
      (*result)["unexpected_count"] = metrics->null_count();
      (*result)["unexpected_percent"] = rate * 100.0;
      *detail = "null rate " + Percent(rate) + " > max " + Percent(*e.max);
      break;
    }
    case ExpectationKind::kRowCountBetween: {
      const double n = static_cast<double>(rows_);
      ok = (!e.min || n >= *e.min) && (!e.max || n <= *e.max);
      (*result)["observed_value"] = rows_;
      *detail = std::to_string(rows_) + " rows, expected " +
                (e.min ? "at least " + Number(*e.min) : std::string()) +
                (e.min && e.max ? " and " : "") +
                (e.max ? "at most " + Number(*e.max) : std::string());
      break;
    }
    case ExpectationKind::kFreshnessMax: {
      if (!metrics->has_moments()) {
        ok = false;
        (*result)["observed_value"] = nullptr;
        *detail = "no event times to judge freshness";
        break;
      }
      const int64_t newest = static_cast<int64_t>(metrics->max());
      const int64_t age = now_us - newest;
      ok = age <= e.max_age_us;
      (*result)["observed_value"] = core::FormatTimestamp(newest);
      (*result)["evaluated_at"] = core::FormatTimestamp(now_us);
      (*result)["age_seconds"] = static_cast<double>(age) / core::kMicrosPerSecond;
      *detail = "newest " + rule.columns[0].name + " " + core::FormatTimestamp(newest) + " is " +
                Number(static_cast<double>(age) / core::kMicrosPerSecond) +
                "s old at ingest, more than " + core::FormatDuration(e.max_age_us);
      break;
    }
    case ExpectationKind::kMeanBetween: {
      if (!metrics->has_moments()) {
        ok = false;
        (*result)["observed_value"] = nullptr;
        *detail = "no values to average";
        break;
      }
      const double mean = metrics->mean();
      ok = (!e.min || mean >= *e.min) && (!e.max || mean <= *e.max);
      (*result)["observed_value"] = mean;
      *detail = "mean " + Number(mean) + " is outside [" + (e.min ? Number(*e.min) : "-inf") +
                ", " + (e.max ? Number(*e.max) : "inf") + "]";
      break;
    }
    default:
      break;
  }
  if (!result->contains("unexpected_count")) {
    (*result)["unexpected_count"] = 0;
    (*result)["unexpected_percent"] = 0.0;
  }
  (*result)["partial_unexpected_list"] = json::array();
  return ok;
}

Result<FinishedRun> Validator::Impl::Finish(int64_t now_us) {
  if (finished_) return Status::Invalid("Validator::Finish called twice");
  finished_ = true;
  FinishedRun run;
  RunReport& report = run.report;
  json results = json::array();
  std::vector<bool> failed(rules_.size(), false);
  int64_t successful = 0;
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule& rule = *rules_[r];
    json result = json::object();
    bool ok = true;
    std::string detail;
    if (rule.row_level) {
      const bool not_null = rule.expectation.kind == ExpectationKind::kNotNull;
      const int64_t denominator =
          not_null ? rule.element_count : rule.element_count - rule.missing_count;
      ok = MostlyPasses(rule.unexpected_count, denominator, rule.expectation.mostly);
      const double share = denominator == 0 ? 0.0
                                            : static_cast<double>(rule.unexpected_count) /
                                                  static_cast<double>(denominator);
      const double total = rule.element_count == 0 ? 0.0
                                                   : static_cast<double>(rule.unexpected_count) /
                                                         static_cast<double>(rule.element_count);
      result["element_count"] = rule.element_count;
      result["missing_count"] = rule.missing_count;
      result["missing_percent"] = rule.element_count == 0
                                      ? 0.0
                                      : 100.0 * static_cast<double>(rule.missing_count) /
                                            static_cast<double>(rule.element_count);
      result["unexpected_count"] = rule.unexpected_count;
      result["unexpected_percent"] = share * 100.0;
      result["unexpected_percent_total"] = total * 100.0;
      result["partial_unexpected_list"] = rule.partial_unexpected_list;
      result["partial_unexpected_index_list"] = rule.partial_unexpected_rows;
      detail = std::to_string(rule.unexpected_count) + " of " + std::to_string(denominator) +
               (not_null ? " rows" : " non-null values") + " (" + Percent(share) + ") fail";
      if (rule.expectation.mostly < 1.0) {
        detail += "; mostly " + Number(rule.expectation.mostly) + " allows " +
                  Percent(1.0 - rule.expectation.mostly);
      }
      if (!rule.partial_unexpected_rows.empty()) {
        detail += "; first at row " + std::to_string(rule.partial_unexpected_rows[0]);
      }
    } else {
      ok = JudgeAggregate(rule, now_us, &result, &detail);
    }
    failed[r] = !ok;
    if (ok) {
      ++successful;
    } else {
      const std::string line = rule.name + ": " + detail;
      if (rule.error) {
        report.success = false;
        report.failures.push_back(line);
        if (rule.row_level) report.row_rule_failed = true;
        else report.aggregate_failed = true;
      } else {
        report.warnings.push_back(line);
      }
    }
    json meta = {{"rule", rule.name}, {"severity", rule.error ? "error" : "warn"}};
    if (!rule.implicit.empty()) meta["implicit"] = rule.implicit;
    if (rule.expectation.line > 0) meta["line"] = rule.expectation.line;
    results.push_back({{"expectation_config",
                        {{"expectation_type", internal::ExpectationType(rule)},
                         {"kwargs", internal::ExpectationKwargs(rule)},
                         {"meta", std::move(meta)}}},
                       {"success", ok},
                       {"result", std::move(result)},
                       {"exception_info", {{"raised_exception", false}}}});
  }

  // Held rows: bad when one of their soft rules failed for the run.
  for (auto& held : held_) {
    std::vector<int32_t> good, bad;
    std::vector<const std::vector<uint16_t>*> bad_rules;
    for (size_t k = 0; k < held.rules.size(); ++k) {
      const bool is_bad = std::any_of(held.rules[k].begin(), held.rules[k].end(),
                                      [&](uint16_t r) { return failed[r]; });
      if (is_bad) {
        bad.push_back(static_cast<int32_t>(k));
        bad_rules.push_back(&held.rules[k]);
      } else {
        good.push_back(static_cast<int32_t>(k));
      }
    }
    if (!good.empty()) {
      FST_ASSIGN_OR_RAISE(auto rows, TakeRows(held.rows, good));
      run.good.push_back(std::move(rows));
    }
    bad_ += static_cast<int64_t>(bad.size());
    if (!bad.empty() && options_.build_quarantine) {
      FST_ASSIGN_OR_RAISE(auto table, BuildQuarantine(held.rows, bad, bad_rules));
      run.quarantine.push_back(std::move(table));
    }
  }
  held_.clear();

  report.rows = rows_;
  report.bad_rows = bad_;
  report.good_rows = rows_ - bad_;
  report.bad_share = rows_ == 0 ? 0.0 : static_cast<double>(bad_) / static_cast<double>(rows_);
  const int64_t evaluated = static_cast<int64_t>(rules_.size());
  report.result = {
      {"success", report.success},
      {"statistics",
       {{"evaluated_expectations", evaluated},
        {"successful_expectations", successful},
        {"unsuccessful_expectations", evaluated - successful},
        {"success_percent",
         evaluated == 0 ? 100.0
                        : 100.0 * static_cast<double>(successful) / static_cast<double>(evaluated)}}},
      {"results", std::move(results)},
      {"meta",
       {{"expectation_suite_name", source_.name + ".contract"},
        {"source", source_.name},
        {"run_time", core::FormatTimestamp(now_us)},
        {"rows", rows_},
        {"bad_rows", bad_},
        {"bad_share", report.bad_share}}}};
  json columns = json::object();
  for (const auto& m : metrics_) columns[m.spec().name] = m.ToJson();
  report.metrics = {{"row_count", rows_}, {"columns", std::move(columns)}};
  return run;
}

Validator::Validator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Validator::~Validator() = default;

Result<std::unique_ptr<Validator>> Validator::Make(const definitions::Source& source,
                                                   const ValidatorOptions& options) {
  auto impl = std::make_unique<Impl>();
  FST_RETURN_NOT_OK(impl->Init(source, options));
  return std::unique_ptr<Validator>(new Validator(std::move(impl)));
}

Result<CheckedBatch> Validator::Add(const std::shared_ptr<arrow::RecordBatch>& batch,
                                    int64_t first_row, std::shared_ptr<arrow::Int64Array> rows) {
  return impl_->Add(batch, first_row, std::move(rows));
}

Result<FinishedRun> Validator::Finish(int64_t now_us) { return impl_->Finish(now_us); }

}  // namespace fst::quality
