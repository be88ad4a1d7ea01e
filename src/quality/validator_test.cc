#include "featherstone/quality/validator.h"

#include <random>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "test_util.h"

namespace fst::quality {
namespace {

using testing::BatchOf;
using testing::SourceOf;
using testing::Strings;
using testing::Values;

constexpr char kSchema[] =
    "[{name: id, type: int64}, {name: amount, type: float64}, {name: status, type: string}, "
    "{name: ts, type: timestamp}]";
const int64_t kNow = core::ParseTimestamp("2026-01-10T00:00:00Z").ValueOrDie();

struct Outcome {
  std::vector<int64_t> good;           // row numbers, in output order
  std::vector<int64_t> bad;            // quarantined row numbers
  std::vector<std::string> rules;      // __rules of each quarantined row
  std::vector<std::string> reasons;    // __reasons
  RunReport report;
};

// Runs `source` over `batches` (JSON rows each) and collects everything.
Outcome Validate(const definitions::Source& source, const std::vector<std::string>& batches,
            ValidatorOptions options = {}) {
  EXPECT_TRUE(core::EnsureArrowCompute().ok());
  Outcome out;
  auto validator = Validator::Make(source, options);
  EXPECT_TRUE(validator.ok()) << validator.status();
  if (!validator.ok()) return out;
  int64_t first = 0;
  auto collect_bad = [&](const std::shared_ptr<arrow::RecordBatch>& q) {
    if (q == nullptr) return;
    for (const auto& s : Strings(q, kRowColumn)) out.bad.push_back(std::stoll(s));
    for (const auto& s : Strings(q, kRulesColumn)) out.rules.push_back(s);
    for (const auto& s : Strings(q, kReasonsColumn)) out.reasons.push_back(s);
  };
  for (const auto& rows : batches) {
    auto batch = BatchOf(source, rows);
    auto checked = (*validator)->Add(batch, first);
    EXPECT_TRUE(checked.ok()) << checked.status();
    if (!checked.ok()) return out;
    first += batch->num_rows();
    for (int64_t r : Values(checked->good.rows)) out.good.push_back(r);
    EXPECT_EQ(checked->good.batch->num_rows(), checked->good.rows->length());
    collect_bad(checked->quarantine);
  }
  auto finished = (*validator)->Finish(kNow);
  EXPECT_TRUE(finished.ok()) << finished.status();
  if (!finished.ok()) return out;
  for (const auto& set : finished->good) {
    for (int64_t r : Values(set.rows)) out.good.push_back(r);
  }
  for (const auto& q : finished->quarantine) collect_bad(q);
  out.report = finished->report;
  return out;
}

std::string Rows(std::initializer_list<std::string> rows) {
  std::string out = "[";
  for (const auto& r : rows) out += (out.size() > 1 ? "," : "") + r;
  return out + "]";
}

// {"id": i, "amount": a, "status": s, "ts": t} with nulls as given.
std::string Row(int64_t id, const std::string& amount, const std::string& status = "\"new\"",
                const std::string& ts = "1767225600000000") {
  return "{\"id\": " + std::to_string(id) + ", \"amount\": " + amount +
         ", \"status\": " + status + ", \"ts\": " + ts + "}";
}

// `n` rows with amount = i, every `null_every`-th amount null.
std::string Many(int64_t n, int64_t null_every = 0) {
  std::string out = "[";
  for (int64_t i = 1; i <= n; ++i) {
    const bool null = null_every > 0 && i % null_every == 0;
    out += (i > 1 ? "," : "") + Row(i, null ? "null" : std::to_string(i));
  }
  return out + "]";
}

const nlohmann::json& ResultOf(const RunReport& report, const std::string& rule) {
  for (const auto& r : report.result["results"]) {
    if (r["expectation_config"]["meta"]["rule"] == rule) return r;
  }
  static const nlohmann::json kNone;
  ADD_FAILURE() << "no result for " << rule << " in " << report.result.dump(2);
  return kNone;
}

TEST(Validator, NotNullQuarantinesRowByRow) {
  auto source = SourceOf(kSchema, "      expectations: [{expect: not_null, column: amount}]\n");
  auto out = Validate(source, {Rows({Row(1, "1.5"), Row(2, "null"), Row(3, "2")}),
                          Rows({Row(4, "null"), Row(5, "7")})});
  EXPECT_EQ(out.good, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(out.bad, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(out.rules, (std::vector<std::string>{"not_null(amount)", "not_null(amount)"}));
  EXPECT_EQ(out.reasons[0], "amount is null");
  EXPECT_FALSE(out.report.success);
  EXPECT_TRUE(out.report.row_rule_failed);
  EXPECT_EQ(out.report.bad_rows, 2);
  EXPECT_DOUBLE_EQ(out.report.bad_share, 0.4);
  const auto& r = ResultOf(out.report, "not_null(amount)");
  EXPECT_EQ(r["expectation_config"]["expectation_type"], "expect_column_values_to_not_be_null");
  EXPECT_EQ(r["expectation_config"]["kwargs"]["column"], "amount");
  EXPECT_EQ(r["success"], false);
  EXPECT_EQ(r["result"]["element_count"], 5);
  EXPECT_EQ(r["result"]["unexpected_count"], 2);
  EXPECT_DOUBLE_EQ(r["result"]["unexpected_percent"].get<double>(), 40.0);
  EXPECT_EQ(r["result"]["partial_unexpected_list"], nlohmann::json::parse("[null, null]"));
  EXPECT_EQ(r["result"]["partial_unexpected_index_list"], nlohmann::json::parse("[2, 4]"));
}

TEST(Validator, MostlyExactlyAtTheBoundaryPassesAndKeepsTheRows) {
  // 1 null in 10 rows: 90% pass, mostly 0.9 -> the expectation succeeds and no row is
  // quarantined (GE semantics).
  auto source = SourceOf(kSchema,
                         "      expectations: [{expect: not_null, column: amount, mostly: 0.9}]\n");
  auto out = Validate(source, {Many(10, 10)});
  EXPECT_TRUE(out.report.success);
  EXPECT_TRUE(out.bad.empty());
  EXPECT_EQ(out.good.size(), 10u);
  EXPECT_EQ(ResultOf(out.report, "not_null(amount)")["success"], true);
  EXPECT_EQ(ResultOf(out.report, "not_null(amount)")["result"]["unexpected_count"], 1);

  // 2 nulls in 10 (rows 5 and 10): 80% < 90% -> fails, both rows quarantined.
  out = Validate(source, {Many(10, 5)});
  EXPECT_FALSE(out.report.success);
  EXPECT_EQ(out.bad, (std::vector<int64_t>{5, 10}));
  EXPECT_EQ(out.good.size(), 8u);

  // Held rows are decided on the whole run: 1 null in each of two batches of 10 -> 10%.
  out = Validate(source, {Many(10, 10), Many(10, 10)});
  EXPECT_TRUE(out.report.success);
  EXPECT_EQ(out.good.size(), 20u);
}

TEST(Validator, MostlyBoundaryForBetweenCountsNonNullValuesOnly) {
  // 100 values, 1 out of range -> 99% = mostly 0.99: passes. A null does not count against it.
  auto source = SourceOf(
      kSchema,
      "      expectations: [{expect: between, column: amount, min: 1, max: 99, mostly: 0.99}]\n");
  std::string rows = "[";
  for (int i = 1; i <= 100; ++i) rows += (i > 1 ? "," : "") + Row(i, std::to_string(i));
  rows += "," + Row(101, "null") + "]";
  auto out = Validate(source, {rows});
  EXPECT_TRUE(out.report.success) << out.report.result.dump(2);
  EXPECT_EQ(out.good.size(), 101u);
  const auto& r = ResultOf(out.report, "between(amount)");
  EXPECT_EQ(r["result"]["missing_count"], 1);
  EXPECT_DOUBLE_EQ(r["result"]["unexpected_percent"].get<double>(), 1.0);

  auto strict = SourceOf(
      kSchema,
      "      expectations: [{expect: between, column: amount, min: 1, max: 98, mostly: 0.99}]\n");
  out = Validate(strict, {rows});
  EXPECT_FALSE(out.report.success);
  EXPECT_EQ(out.bad, (std::vector<int64_t>{99, 100}));
  EXPECT_EQ(out.reasons[1], "amount=100 is above max 98");
}

TEST(Validator, BetweenBoundsInclusiveStrictAndNan) {
  auto source = SourceOf(kSchema,
                         "      expectations: [{expect: between, column: amount, min: 0, max: 10}]\n");
  auto out = Validate(source, {Rows({Row(1, "0"), Row(2, "10"), Row(3, "-0.5"), Row(4, "10.5"),
                                Row(5, "null"), Row(6, "NaN")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{3, 4, 6}));
  EXPECT_EQ(out.reasons[0], "amount=-0.5 is below min 0");
  EXPECT_EQ(out.reasons[1], "amount=10.5 is above max 10");
  EXPECT_EQ(out.reasons[2], "amount=NaN is not a number");

  auto strict = SourceOf(kSchema,
                         "      expectations: [{expect: between, column: amount, min: 0, max: 10, "
                         "strict_min: true, strict_max: true}]\n");
  out = Validate(strict, {Rows({Row(1, "0"), Row(2, "10"), Row(3, "5")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(out.reasons[0], "amount=0 is not above min 0");
  EXPECT_EQ(out.reasons[1], "amount=10 is not below max 10");

  // Integer column with fractional and strict bounds.
  auto ints = SourceOf(kSchema,
                       "      expectations: [{expect: between, column: id, min: 1.5, max: 4, "
                       "strict_max: true}]\n");
  out = Validate(ints, {Rows({Row(1, "0"), Row(2, "0"), Row(3, "0"), Row(4, "0")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{1, 4}));

  // Timestamps.
  auto times = SourceOf(kSchema,
                        "      expectations: [{expect: between, column: ts, min: \"2026-01-01\"}]\n");
  out = Validate(times, {Rows({Row(1, "0", "\"new\"", "1767225599000000"), Row(2, "0")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{1}));
  EXPECT_EQ(out.reasons[0], "ts=2025-12-31T23:59:59Z is below min 2026-01-01T00:00:00Z");
}

TEST(Validator, UniqueAcrossBatchesSingleAndCompound) {
  auto source = SourceOf(kSchema, "      expectations: [{expect: unique, column: id}]\n");
  auto out = Validate(source, {Rows({Row(1, "0"), Row(2, "0"), Row(2, "0")}),
                          Rows({Row(3, "0"), Row(1, "0")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(out.reasons[0], "id=2 repeats an earlier row");
  EXPECT_EQ(ResultOf(out.report, "unique(id)")["expectation_config"]["expectation_type"],
            "expect_column_values_to_be_unique");

  auto compound = SourceOf(kSchema,
                           "      expectations: [{expect: unique, columns: [id, status]}]\n");
  out = Validate(compound, {Rows({Row(1, "0", "\"a\""), Row(1, "0", "\"b\""), Row(1, "0", "null")}),
                       Rows({Row(1, "0", "\"a\""), Row(1, "0", "null")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{4}));
  EXPECT_EQ(out.reasons[0], "(id, status)=(1, 'a') repeats an earlier row");
  const auto& r = ResultOf(out.report, "unique(id,status)");
  EXPECT_EQ(r["expectation_config"]["expectation_type"], "expect_compound_columns_to_be_unique");
  EXPECT_EQ(r["expectation_config"]["kwargs"]["column_list"],
            nlohmann::json::parse(R"(["id", "status"])"));
  EXPECT_EQ(r["result"]["missing_count"], 2);
  EXPECT_EQ(r["result"]["partial_unexpected_list"], nlohmann::json::parse(R"([[1, "a"]])"));

  auto strings = SourceOf(kSchema, "      expectations: [{expect: unique, column: status}]\n");
  out = Validate(strings, {Rows({Row(1, "0", "\"x\""), Row(2, "0", "\"y\""), Row(3, "0", "\"x\"")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{3}));
}

TEST(Validator, InSetAndRegex) {
  auto source = SourceOf(kSchema,
                         "      expectations:\n"
                         "        - {expect: in_set, column: status, values: [new, paid]}\n"
                         "        - {expect: regex, column: status, regex: \"^[a-z]+$\"}\n"
                         "        - {expect: in_set, column: id, values: [1, 2, 3]}\n");
  auto out = Validate(source, {Rows({Row(1, "0", "\"new\""), Row(2, "0", "\"lost\""),
                                Row(3, "0", "null"), Row(4, "0", "\"Paid\"")})});
  EXPECT_EQ(out.bad, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(out.rules[0], "in_set(status)");
  EXPECT_EQ(out.reasons[0], "status='lost' is not in [new, paid]");
  EXPECT_EQ(out.rules[1], "in_set(status); regex(status); in_set(id)");
  EXPECT_EQ(out.reasons[1],
            "status='Paid' is not in [new, paid]; status='Paid' does not match regex "
            "'^[a-z]+$'; id=4 is not in [1, 2, 3]");
  EXPECT_EQ(ResultOf(out.report, "regex(status)")["result"]["unexpected_count"], 1);
  EXPECT_EQ(ResultOf(out.report, "in_set(status)")["result"]["missing_count"], 1);
}

TEST(Validator, WarnLevelOnlyWarns) {
  auto source = SourceOf(
      kSchema,
      "      expectations: [{expect: in_set, column: status, values: [new], severity: warn}]\n");
  auto out = Validate(source, {Rows({Row(1, "0", "\"new\""), Row(2, "0", "\"old\"")})});
  EXPECT_TRUE(out.report.success);
  EXPECT_TRUE(out.bad.empty());
  EXPECT_EQ(out.good.size(), 2u);
  ASSERT_EQ(out.report.warnings.size(), 1u);
  EXPECT_EQ(out.report.warnings[0],
            "in_set(status): 1 of 2 non-null values (50%) fail; first at row 2");
  EXPECT_EQ(out.report.result["statistics"]["unsuccessful_expectations"], 1);
  EXPECT_EQ(ResultOf(out.report, "in_set(status)")["expectation_config"]["meta"]["severity"],
            "warn");
}

TEST(Validator, NullRateMaxAtAndAboveTheBoundary) {
  auto source =
      SourceOf(kSchema, "      expectations: [{expect: null_rate_max, column: amount, max: 0.1}]\n");
  auto out = Validate(source, {Many(10, 10)});  // exactly 10%
  EXPECT_TRUE(out.report.success);
  EXPECT_EQ(out.good.size(), 10u);
  out = Validate(source, {Many(10, 5)});  // 20%
  EXPECT_FALSE(out.report.success);
  EXPECT_TRUE(out.report.aggregate_failed);
  EXPECT_FALSE(out.report.row_rule_failed);
  EXPECT_TRUE(out.bad.empty());  // aggregate rules never quarantine rows
  const auto& r = ResultOf(out.report, "null_rate_max(amount)");
  EXPECT_EQ(r["expectation_config"]["expectation_type"], "expect_column_null_rate_to_be_at_most");
  EXPECT_DOUBLE_EQ(r["result"]["observed_value"].get<double>(), 0.2);
  EXPECT_EQ(out.report.failures[0], "null_rate_max(amount): null rate 20% > max 10%");
}

TEST(Validator, RowCountFreshnessAndMean) {
  auto source = SourceOf(kSchema,
                         "      expectations:\n"
                         "        - {expect: row_count_between, min: 3, max: 5}\n"
                         "        - {expect: freshness_max, max: 10d}\n"
                         "        - {expect: mean_between, column: amount, min: 2, max: 3}\n");
  // ts = 2026-01-01, now = 2026-01-10: 9 days old.
  auto out = Validate(source, {Rows({Row(1, "1"), Row(2, "2"), Row(3, "3"), Row(4, "null")})});
  EXPECT_TRUE(out.report.success) << out.report.result.dump(2);
  EXPECT_EQ(ResultOf(out.report, "row_count_between")["result"]["observed_value"], 4);
  EXPECT_EQ(ResultOf(out.report, "freshness_max(ts)")["result"]["observed_value"],
            "2026-01-01T00:00:00Z");
  EXPECT_DOUBLE_EQ(
      ResultOf(out.report, "mean_between(amount)")["result"]["observed_value"].get<double>(), 2.0);

  out = Validate(source, {Rows({Row(1, "10", "\"a\"", "1766000000000000"), Row(2, "20")})});
  EXPECT_FALSE(out.report.success);
  EXPECT_EQ(ResultOf(out.report, "row_count_between")["success"], false);
  EXPECT_EQ(ResultOf(out.report, "freshness_max(ts)")["success"], true);
  EXPECT_EQ(ResultOf(out.report, "mean_between(amount)")["success"], false);

  auto stale = SourceOf(kSchema, "      expectations: [{expect: freshness_max, max: 1d}]\n");
  out = Validate(stale, {Rows({Row(1, "1")})});
  EXPECT_FALSE(out.report.success);
  EXPECT_EQ(out.report.failures[0],
            "freshness_max(ts): newest ts 2026-01-01T00:00:00Z is 777600s old at ingest, more "
            "than 1d");
  // No rows: no events to judge, a failed freshness.
  out = Validate(stale, {"[]"});
  EXPECT_FALSE(out.report.success);
}

TEST(Validator, RequiredAndNonNullableColumnsAreImplicitRules) {
  auto source = SourceOf(
      "[{name: id, type: int64}, {name: amount, type: float64, nullable: false}, "
      "{name: status, type: string}, {name: ts, type: timestamp}]",
      "      expectations: [{expect: between, column: amount, min: 0}]\n");
  ValidatorOptions options;
  options.required_columns = {"id", "ts"};
  auto out = Validate(source, {Rows({Row(1, "null"), "{\"id\": null, \"amount\": 1, \"ts\": 5}",
                                Row(3, "1", "null", "null"), Row(4, "-1")})},
                 options);
  EXPECT_EQ(out.bad, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(out.reasons[0], "amount is null (declared nullable: false)");
  EXPECT_EQ(out.reasons[1], "id is null (a join key is required)");
  EXPECT_EQ(out.reasons[2], "ts is null (the event time is required)");
  EXPECT_EQ(out.reasons[3], "amount=-1 is below min 0");
  EXPECT_EQ(out.report.result["statistics"]["evaluated_expectations"], 4);
}

TEST(Validator, QuarantineRowsAreTextOfEveryColumn) {
  auto source = SourceOf(kSchema, "      expectations: [{expect: not_null, column: amount}]\n");
  auto validator = Validator::Make(source, {}).ValueOrDie();
  auto checked =
      validator->Add(BatchOf(source, Rows({Row(7, "null", "\"x\"", "1767225600500000")})), 41)
          .ValueOrDie();
  ASSERT_NE(checked.quarantine, nullptr);
  EXPECT_TRUE(checked.quarantine->schema()->Equals(*QuarantineSchema(source.schema)));
  EXPECT_EQ(Strings(checked.quarantine, "id"), (std::vector<std::string>{"7"}));
  EXPECT_EQ(Strings(checked.quarantine, "amount"), (std::vector<std::string>{"<null>"}));
  EXPECT_EQ(Strings(checked.quarantine, "ts"),
            (std::vector<std::string>{"2026-01-01T00:00:00.500000Z"}));
  EXPECT_EQ(Strings(checked.quarantine, kRowColumn), (std::vector<std::string>{"42"}));
}

TEST(Validator, ResultShapeAndSampleCap) {
  auto source = SourceOf(kSchema, "      expectations: [{expect: not_null, column: amount}]\n");
  auto out = Validate(source, {Many(100, 2)});
  const auto& result = out.report.result;
  EXPECT_EQ(result["success"], false);
  EXPECT_EQ(result["statistics"]["evaluated_expectations"], 1);
  EXPECT_EQ(result["statistics"]["successful_expectations"], 0);
  EXPECT_EQ(result["statistics"]["unsuccessful_expectations"], 1);
  EXPECT_DOUBLE_EQ(result["statistics"]["success_percent"].get<double>(), 0.0);
  const auto& r = ResultOf(out.report, "not_null(amount)");
  EXPECT_EQ(r["result"]["unexpected_count"], 50);
  EXPECT_EQ(r["result"]["partial_unexpected_list"].size(), 20u);
  EXPECT_EQ(result["meta"]["bad_rows"], 50);
  const auto& metrics = out.report.metrics["columns"]["amount"];
  EXPECT_EQ(metrics["count"], 100);
  EXPECT_EQ(metrics["null_count"], 50);
  EXPECT_DOUBLE_EQ(metrics["min"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(metrics["max"].get<double>(), 99.0);
  EXPECT_DOUBLE_EQ(metrics["mean"].get<double>(), 50.0);
  EXPECT_EQ(metrics["distinct_estimate"], 50);
}

TEST(Validator, BadRegexIsAnErrorNamingTheRule) {
  auto source = SourceOf(kSchema,
                         "      expectations: [{expect: regex, column: status, regex: \"a(b\"}]\n");
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  auto validator = Validator::Make(source, {});
  ASSERT_FALSE(validator.ok());
  EXPECT_NE(validator.status().message().find("regex(status): bad regex 'a(b'"),
            std::string::npos)
      << validator.status();
}

TEST(Validator, RowRulesOnlySkipsAggregates) {
  auto source = SourceOf(kSchema,
                         "      expectations:\n"
                         "        - {expect: row_count_between, min: 100}\n"
                         "        - {expect: not_null, column: amount}\n");
  ValidatorOptions options;
  options.row_rules_only = true;
  auto out = Validate(source, {Many(4, 2)}, options);
  EXPECT_EQ(out.report.result["statistics"]["evaluated_expectations"], 1);
  EXPECT_EQ(out.bad, (std::vector<int64_t>{2, 4}));
}

// A million rows, ten expectations: the suite-sized version of the benchmark.
TEST(Validator, MillionRowsTenExpectations) {
  auto source = SourceOf(
      "[{name: id, type: int64}, {name: customer_id, type: int64}, {name: amount, type: float64}, "
      "{name: status, type: string}, {name: email, type: string}, {name: ts, type: timestamp}]",
      "      expectations:\n"
      "        - {expect: not_null, column: customer_id}\n"
      "        - {expect: unique, column: id}\n"
      "        - {expect: between, column: amount, min: 0, max: 1000}\n"
      "        - {expect: in_set, column: status, values: [new, paid, shipped]}\n"
      "        - {expect: regex, column: email, regex: \"^[a-z0-9]+@[a-z]+\\\\.com$\"}\n"
      "        - {expect: null_rate_max, column: amount, max: 0.05}\n"
      "        - {expect: row_count_between, min: 1}\n"
      "        - {expect: freshness_max, max: 3650d}\n"
      "        - {expect: mean_between, column: amount, min: 0, max: 1000}\n"
      "        - {expect: not_null, column: amount, mostly: 0.99}\n");
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  auto validator = Validator::Make(source, {}).ValueOrDie();
  constexpr int64_t kRows = 1'000'000, kBatch = 1 << 17;
  const char* statuses[] = {"new", "paid", "shipped", "lost"};
  std::mt19937_64 rng(7);
  int64_t good = 0, bad = 0;
  for (int64_t start = 0; start < kRows; start += kBatch) {
    const int64_t n = std::min(kBatch, kRows - start);
    arrow::Int64Builder id, customer;
    arrow::DoubleBuilder amount;
    arrow::StringBuilder status, email;
    arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                               arrow::default_memory_pool());
    for (int64_t i = start; i < start + n; ++i) {
      ASSERT_TRUE(id.Append(i).ok());
      ASSERT_TRUE(customer.Append(static_cast<int64_t>(rng() % 100000)).ok());
      if (i % 1000 == 999) {
        ASSERT_TRUE(amount.AppendNull().ok());
      } else {
        ASSERT_TRUE(amount.Append(static_cast<double>(rng() % 100000) / 100.0).ok());
      }
      ASSERT_TRUE(status.Append(statuses[i % 5000 == 0 ? 3 : rng() % 3]).ok());
      ASSERT_TRUE(email.Append("user" + std::to_string(i % 977) + "@example.com").ok());
      ASSERT_TRUE(ts.Append(kNow - static_cast<int64_t>(rng() % core::kMicrosPerDay)).ok());
    }
    arrow::ArrayVector columns(6);
    ASSERT_TRUE(id.Finish(&columns[0]).ok());
    ASSERT_TRUE(customer.Finish(&columns[1]).ok());
    ASSERT_TRUE(amount.Finish(&columns[2]).ok());
    ASSERT_TRUE(status.Finish(&columns[3]).ok());
    ASSERT_TRUE(email.Finish(&columns[4]).ok());
    ASSERT_TRUE(ts.Finish(&columns[5]).ok());
    arrow::FieldVector fields;
    for (const auto& c : source.schema) {
      fields.push_back(arrow::field(c.name, core::ToArrowType(c.type)));
    }
    auto batch = arrow::RecordBatch::Make(arrow::schema(fields), n, columns);
    auto checked = validator->Add(batch, start).ValueOrDie();
    good += checked.good.batch->num_rows();
    bad += checked.bad_rows;
  }
  auto finished = validator->Finish(kNow).ValueOrDie();
  for (const auto& set : finished.good) good += set.batch->num_rows();
  EXPECT_EQ(finished.report.rows, kRows);
  EXPECT_EQ(bad, kRows / 5000);  // status 'lost'; the 0.1% null amounts are within mostly
  EXPECT_EQ(good + bad, kRows);
  EXPECT_EQ(finished.report.result["statistics"]["evaluated_expectations"], 10);
  EXPECT_EQ(finished.report.result["statistics"]["unsuccessful_expectations"], 1);
}

}  // namespace
}  // namespace fst::quality
