#include "featherstone/definitions/contract.h"

#include <string>

#include <gtest/gtest.h>

#include "featherstone/core/time.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::definitions {
namespace {

// A source with every column type the expectations need; the contract starts on line 14.
constexpr char kHead[] = R"(project: shop
sources:
  - name: orders
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: order_id, type: string}
      - {name: amount, type: float64}
      - {name: status, type: string}
      - {name: email, type: string}
      - {name: event_ts, type: timestamp}
      - {name: tags, type: list<string>}
    contract:
)";

std::string WithContract(const std::string& body) { return std::string(kHead) + body; }

Result<Repo> Parse(const std::string& body) {
  FST_ASSIGN_OR_RAISE(Repo repo, ParseYaml(WithContract(body), "featherstone.yaml"));
  FST_RETURN_NOT_OK(Validate(repo));
  return repo;
}

std::string ErrorOf(const std::string& body) {
  auto repo = Parse(body);
  return repo.ok() ? "OK" : repo.status().message();
}

TEST(Contract, DesignExampleParses) {
  auto repo = Parse(R"(      policy: quarantine
      breaker: {threshold: 0.2, half_open_after: 10m}
      expectations:
        - {expect: not_null, column: amount}
        - {expect: between, column: amount, min: 0, max: 100000, mostly: 0.99}
        - {expect: in_set, column: status, values: [new, paid, shipped], severity: warn}
        - {expect: null_rate_max, column: email, max: 0.01}
)");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const Source& source = repo->sources[0];
  ASSERT_TRUE(source.contract.has_value());
  const Contract& c = *source.contract;
  EXPECT_EQ(c.policy, ContractPolicy::kQuarantine);
  ASSERT_TRUE(c.breaker.has_value());
  EXPECT_DOUBLE_EQ(c.breaker->threshold, 0.2);
  EXPECT_EQ(c.breaker->half_open_after_us, 600 * core::kMicrosPerSecond);
  ASSERT_EQ(c.expectations.size(), 4u);
  EXPECT_EQ(c.expectations[0].RuleName(), "not_null(amount)");
  EXPECT_EQ(c.expectations[0].severity, Severity::kError);
  EXPECT_DOUBLE_EQ(c.expectations[0].mostly, 1.0);
  EXPECT_EQ(c.expectations[0].line, 17);
  EXPECT_DOUBLE_EQ(*c.expectations[1].min, 0.0);
  EXPECT_DOUBLE_EQ(*c.expectations[1].max, 100000.0);
  EXPECT_FALSE(c.expectations[1].strict_min);
  EXPECT_DOUBLE_EQ(c.expectations[1].mostly, 0.99);
  EXPECT_EQ(c.expectations[2].values, (std::vector<std::string>{"new", "paid", "shipped"}));
  EXPECT_EQ(c.expectations[2].severity, Severity::kWarn);
  EXPECT_EQ(c.expectations[3].kind, ExpectationKind::kNullRateMax);
  EXPECT_DOUBLE_EQ(*c.expectations[3].max, 0.01);
}

TEST(Contract, EveryExpectationKind) {
  auto repo = Parse(R"(      policy: reject_batch
      expectations:
        - {expect: unique, columns: [customer_id, order_id]}
        - {expect: unique, column: order_id, mostly: 0.5}
        - {expect: between, column: amount, min: 0, strict_min: true}
        - {expect: between, column: event_ts, min: "2020-01-01", max: "2030-01-01T00:00:00Z"}
        - {expect: regex, column: email, regex: "^[^@]+@[^@]+$"}
        - {expect: row_count_between, min: 1, max: 1000000}
        - {expect: freshness_max, max: 2d}
        - {expect: mean_between, column: amount, min: 10, max: 500}
)");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const Contract& c = *repo->sources[0].contract;
  EXPECT_EQ(c.policy, ContractPolicy::kRejectBatch);
  EXPECT_FALSE(c.breaker.has_value());
  EXPECT_EQ(c.expectations[0].RuleName(), "unique(customer_id,order_id)");
  EXPECT_TRUE(c.expectations[2].strict_min);
  EXPECT_FALSE(c.expectations[2].max.has_value());
  EXPECT_DOUBLE_EQ(*c.expectations[3].min,
                   static_cast<double>(*core::ParseTimestamp("2020-01-01")));
  EXPECT_EQ(c.expectations[5].RuleName(), "row_count_between");
  EXPECT_EQ(c.expectations[6].max_age_us, 2 * core::kMicrosPerDay);
  EXPECT_TRUE(c.expectations[6].columns.empty());
}

TEST(Contract, SpecRoundTripAndHash) {
  auto repo = Parse(R"(      breaker: {threshold: 0.1, half_open_after: 1s}
      expectations:
        - {expect: between, column: event_ts, min: "2020-01-01", strict_max: true, max: "2031-01-01"}
        - {expect: in_set, column: customer_id, values: [1, 2, 3], mostly: 0.9, severity: warn}
        - {expect: row_count_between, min: 5}
        - {expect: freshness_max, column: event_ts, max: 36h}
)");
  ASSERT_TRUE(repo.ok()) << repo.status();
  const auto objects = ToSpecObjects(*repo);
  ASSERT_EQ(objects.size(), 1u);
  const auto& spec = objects[0].spec;
  ASSERT_TRUE(spec.contains("contract"));
  EXPECT_EQ(spec["contract"]["expectations"][0]["min"], "2020-01-01T00:00:00Z");
  EXPECT_EQ(spec["contract"]["expectations"][2]["min"], 5);
  EXPECT_EQ(spec["contract"]["expectations"][3]["max"], "36h");
  EXPECT_FALSE(spec["contract"]["expectations"][2].contains("mostly"));

  auto back = FromSpecObjects(objects);
  ASSERT_TRUE(back.ok()) << back.status();
  const auto again = ToSpecObjects(*back);
  EXPECT_EQ(again[0].hash, objects[0].hash);
  EXPECT_EQ(SpecText(again[0].spec), SpecText(spec));
  EXPECT_TRUE(back->sources[0].contract->expectations[0].strict_max);
}

TEST(Contract, NoContractKeepsTheSourceSpec) {
  auto repo = ParseYaml(R"(sources:
  - name: s
    timestamp_field: ts
    schema: [{name: ts, type: timestamp}]
)", "f.yaml");
  ASSERT_TRUE(repo.ok());
  EXPECT_FALSE(repo->sources[0].contract.has_value());
  EXPECT_FALSE(ToSpecObjects(*repo)[0].spec.contains("contract"));
}

TEST(Contract, ContractChangeIsANewVersion) {
  auto a = Parse("      expectations: [{expect: not_null, column: amount}]\n");
  auto b = Parse("      expectations: [{expect: not_null, column: amount, mostly: 0.9}]\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(ToSpecObjects(*a)[0].hash, ToSpecObjects(*b)[0].hash);
}

TEST(Contract, ErrorsNameFileLineAndHint) {
  EXPECT_EQ(ErrorOf("      expectations: [{expect: not_nul, column: amount}]\n"),
            "featherstone.yaml:14:31: unknown expectation 'not_nul' in expectations of source "
            "'orders'; did you mean 'not_null'?");
  EXPECT_EQ(ErrorOf("      expectations:\n        - {expect: between, column: amount, minimum: 0}\n"),
            "featherstone.yaml:15:45: unknown key 'minimum' in expectation between(amount) of "
            "source 'orders'; did you mean 'min'?");
  EXPECT_EQ(ErrorOf("      polcy: quarantine\n"),
            "featherstone.yaml:14:7: unknown key 'polcy' in the contract of source 'orders'; did "
            "you mean 'policy'?");
  EXPECT_EQ(ErrorOf("      policy: drop\n"),
            "featherstone.yaml:14:15: unknown policy 'drop' in the contract of source 'orders' "
            "(expected one of: quarantine, reject_batch)");
  EXPECT_EQ(ErrorOf("      expectations:\n"
                    "        - {expect: null_rate_max, column: email, max: 0.1, mostly: 0.9}\n"),
            "featherstone.yaml:15:68: 'mostly' in expectation null_rate_max(email) of source "
            "'orders' applies only to row-level expectations (not_null, unique, between, in_set, "
            "regex); null_rate_max is one verdict for the whole run");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: not_null, column: amount, severity: fatal}]\n"),
            "featherstone.yaml:14:67: unknown severity 'fatal' in expectation not_null(amount) "
            "of source 'orders' (expected one of: error, warn)");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: between, column: amount}]\n"),
            "featherstone.yaml:14:22: expectation between(amount) of source 'orders' needs "
            "'min', 'max' or both");
  EXPECT_EQ(ErrorOf("      breaker: {half_open_after: 1m}\n"),
            "featherstone.yaml:14:16: the breaker of source 'orders' is missing required key "
            "'threshold' (the share of bad rows in a run that opens it, e.g. 0.2)");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: between, column: amount, min: zero}]\n"),
            "featherstone.yaml:14:61: 'min' of expectation between(amount) of source 'orders' "
            "must be a number, got 'zero'");
}

TEST(Contract, ValidationAgainstTheSchema) {
  EXPECT_EQ(ErrorOf("      expectations: [{expect: not_null, column: amuont}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: not_null(amuont): column "
            "'amuont' is not in the schema (columns: customer_id, order_id, amount, status, "
            "email, event_ts, tags)");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: regex, column: amount, regex: x}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: regex(amount): needs a string "
            "column; 'amount' is float64");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: in_set, column: customer_id, values: [1, x]}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: in_set(customer_id): value 'x' "
            "is not a valid int64 (the type of 'customer_id')");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: between, column: amount, min: 5, max: 1}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: between(amount): min 5 is "
            "greater than max 1");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: not_null, column: amount, mostly: 1.5}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: not_null(amount): mostly 1.5 "
            "must be between 0 and 1");
  EXPECT_EQ(ErrorOf("      breaker: {threshold: 2}\n"),
            "featherstone.yaml:3:5: source 'orders': contract: breaker threshold 2 must be a "
            "fraction of rows between 0 and 1");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: freshness_max, column: amount, max: 1d}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: freshness_max(amount): needs a "
            "timestamp column; 'amount' is float64");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: unique, columns: [tags]}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: unique(tags): column 'tags' is "
            "a list; unique needs scalar columns");
  EXPECT_EQ(ErrorOf("      expectations: [{expect: mean_between, column: status, min: 1}]\n"),
            "featherstone.yaml:14:22: source 'orders': contract: mean_between(status): needs a "
            "numeric column; 'status' is string");
}

}  // namespace
}  // namespace fst::definitions
