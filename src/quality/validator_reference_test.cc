// "Two implementations, same answer": the vectorized Validator against a naive row-by-row
// reference on random data, random contracts and random batch splits.
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include <arrow/builder.h>
#include <gtest/gtest.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/quality/validator.h"
#include "test_util.h"

namespace fst::quality {
namespace {

// One random input row: a (int64), x (float64), s (string); nullopt = null.
struct Row {
  std::optional<int64_t> a;
  std::optional<double> x;
  std::optional<std::string> s;
};

struct Spec {
  std::string yaml;  // the expectation
  definitions::ExpectationKind kind;
  std::vector<std::string> columns;
  double lo = 0, hi = 0;
  bool strict_lo = false, strict_hi = false;
  std::set<std::string> set;
  std::string regex;
  double mostly = 1.0;
  bool error = true;
};

std::string Fmt(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

Spec RandomSpec(std::mt19937_64& rng) {
  Spec spec;
  const double mostlies[] = {1.0, 1.0, 0.9, 0.75, 0.5};
  spec.mostly = mostlies[rng() % 5];
  spec.error = rng() % 5 != 0;
  std::string tail = ", mostly: " + Fmt(spec.mostly) +
                     (spec.error ? "" : ", severity: warn") + "}";
  switch (rng() % 6) {
    case 0: {
      const char* column = rng() % 2 ? "x" : "s";
      spec.kind = definitions::ExpectationKind::kNotNull;
      spec.columns = {column};
      spec.yaml = std::string("{expect: not_null, column: ") + column + tail;
      break;
    }
    case 1: {
      spec.kind = definitions::ExpectationKind::kUnique;
      const int which = static_cast<int>(rng() % 3);
      spec.columns = which == 0 ? std::vector<std::string>{"a"}
                     : which == 1 ? std::vector<std::string>{"s"}
                                  : std::vector<std::string>{"a", "s"};
      spec.yaml = which == 2 ? "{expect: unique, columns: [a, s]" + tail
                             : "{expect: unique, column: " + spec.columns[0] + tail;
      break;
    }
    case 2:
    case 3: {
      const bool on_x = rng() % 2;
      spec.kind = definitions::ExpectationKind::kBetween;
      spec.columns = {on_x ? "x" : "a"};
      spec.lo = on_x ? static_cast<double>(rng() % 40) / 4.0 - 2 : static_cast<double>(rng() % 8) - 1.5;
      spec.hi = spec.lo + static_cast<double>(rng() % 30) / 4.0;
      spec.strict_lo = rng() % 2;
      spec.strict_hi = rng() % 2;
      spec.yaml = "{expect: between, column: " + spec.columns[0] + ", min: " + Fmt(spec.lo) +
                  ", max: " + Fmt(spec.hi) + ", strict_min: " + (spec.strict_lo ? "true" : "false") +
                  ", strict_max: " + (spec.strict_hi ? "true" : "false") + tail;
      break;
    }
    case 4: {
      spec.kind = definitions::ExpectationKind::kInSet;
      spec.columns = {"s"};
      spec.set = {"a", "bb"};
      if (rng() % 2) spec.set.insert("c");
      std::string values;
      for (const auto& v : spec.set) values += (values.empty() ? "" : ", ") + v;
      spec.yaml = "{expect: in_set, column: s, values: [" + values + "]" + tail;
      break;
    }
    default: {
      const char* patterns[] = {"^a", "b$", "c", "^(a|bb)$"};
      spec.kind = definitions::ExpectationKind::kRegex;
      spec.columns = {"s"};
      spec.regex = patterns[rng() % 4];
      spec.yaml = "{expect: regex, column: s, regex: \"" + spec.regex + "\"" + tail;
      break;
    }
  }
  return spec;
}

// Whether row `i` fails `spec` (nullopt: the value is missing, not counted), and the unique
// state it updates.
std::optional<bool> Fails(const Spec& spec, const Row& row, std::set<std::string>* seen) {
  using K = definitions::ExpectationKind;
  switch (spec.kind) {
    case K::kNotNull:
      return spec.columns[0] == "x" ? !row.x.has_value() : !row.s.has_value();
    case K::kUnique: {
      std::string key;
      for (const auto& c : spec.columns) {
        if (c == "a") {
          if (!row.a) return std::nullopt;
          key += "a" + std::to_string(*row.a) + "|";
        } else {
          if (!row.s) return std::nullopt;
          key += "s" + *row.s + "|";
        }
      }
      return !seen->insert(key).second;
    }
    case K::kBetween: {
      double v;
      if (spec.columns[0] == "x") {
        if (!row.x) return std::nullopt;
        v = *row.x;
      } else {
        if (!row.a) return std::nullopt;
        v = static_cast<double>(*row.a);
      }
      if (std::isnan(v)) return true;
      const bool lo_ok = spec.strict_lo ? v > spec.lo : v >= spec.lo;
      const bool hi_ok = spec.strict_hi ? v < spec.hi : v <= spec.hi;
      return !(lo_ok && hi_ok);
    }
    case K::kInSet:
      if (!row.s) return std::nullopt;
      return !spec.set.contains(*row.s);
    case K::kRegex:
      if (!row.s) return std::nullopt;
      return !std::regex_search(*row.s, std::regex(spec.regex));
    default:
      return false;
  }
}

struct Expected {
  std::set<int64_t> bad;
  std::map<int64_t, std::string> rules;
  std::vector<int64_t> unexpected;
  std::vector<bool> success;
};

Expected Reference(const std::vector<Spec>& specs, const std::vector<Row>& rows) {
  Expected out;
  const size_t n = rows.size();
  std::vector<std::vector<bool>> fails(specs.size(), std::vector<bool>(n, false));
  for (size_t r = 0; r < specs.size(); ++r) {
    std::set<std::string> seen;
    int64_t unexpected = 0, missing = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto f = Fails(specs[r], rows[i], &seen);
      if (!f.has_value()) {
        ++missing;
      } else if (*f) {
        fails[r][i] = true;
        ++unexpected;
      }
    }
    const bool not_null = specs[r].kind == definitions::ExpectationKind::kNotNull;
    const int64_t denominator = static_cast<int64_t>(n) - (not_null ? 0 : missing);
    const bool ok = denominator == 0 || static_cast<double>(denominator - unexpected) >=
                                            specs[r].mostly * static_cast<double>(denominator) *
                                                (1 - 1e-12);
    out.unexpected.push_back(unexpected);
    out.success.push_back(ok);
  }
  for (size_t i = 0; i < n; ++i) {
    bool bad = false;
    std::string names;
    for (size_t r = 0; r < specs.size(); ++r) {
      if (!specs[r].error || !fails[r][i]) continue;
      if (specs[r].mostly >= 1.0 || !out.success[r]) bad = true;
    }
    if (!bad) continue;
    for (size_t r = 0; r < specs.size(); ++r) {
      if (!specs[r].error || !fails[r][i]) continue;
      definitions::Expectation e;
      e.kind = specs[r].kind;
      e.columns = specs[r].columns;
      names += (names.empty() ? "" : "; ") + e.RuleName();
    }
    out.bad.insert(static_cast<int64_t>(i) + 1);
    out.rules[static_cast<int64_t>(i) + 1] = names;
  }
  return out;
}

std::shared_ptr<arrow::RecordBatch> ToBatch(const std::vector<Row>& rows, size_t begin,
                                            size_t end) {
  arrow::Int64Builder a;
  arrow::DoubleBuilder x;
  arrow::StringBuilder s;
  for (size_t i = begin; i < end; ++i) {
    EXPECT_TRUE((rows[i].a ? a.Append(*rows[i].a) : a.AppendNull()).ok());
    EXPECT_TRUE((rows[i].x ? x.Append(*rows[i].x) : x.AppendNull()).ok());
    EXPECT_TRUE((rows[i].s ? s.Append(*rows[i].s) : s.AppendNull()).ok());
  }
  arrow::ArrayVector columns(3);
  EXPECT_TRUE(a.Finish(&columns[0]).ok());
  EXPECT_TRUE(x.Finish(&columns[1]).ok());
  EXPECT_TRUE(s.Finish(&columns[2]).ok());
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("x", arrow::float64()),
                               arrow::field("s", arrow::utf8())});
  return arrow::RecordBatch::Make(schema, static_cast<int64_t>(end - begin), columns);
}

TEST(ValidatorReference, RandomContractsAndData) {
  ASSERT_TRUE(core::EnsureArrowCompute().ok());
  std::mt19937_64 rng(20260101);
  const char* strings[] = {"a", "bb", "c", "abc", "", "cab", "bb"};
  int64_t total_bad = 0, tolerated = 0;
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const size_t n = rng() % 3 == 0 ? rng() % 5 : rng() % 300;
    std::vector<Row> rows(n);
    for (auto& row : rows) {
      if (rng() % 10) row.a = static_cast<int64_t>(rng() % 12) - 2;
      if (rng() % 10) {
        row.x = rng() % 50 == 0 ? std::nan("") : static_cast<double>(rng() % 60) / 4.0 - 3;
      }
      if (rng() % 8) row.s = strings[rng() % 7];
    }
    std::vector<Spec> specs;
    const size_t count = 1 + rng() % 4;
    std::string yaml = "      expectations:\n";
    for (size_t k = 0; k < count; ++k) {
      specs.push_back(RandomSpec(rng));
      yaml += "        - " + specs.back().yaml + "\n";
    }
    auto source = testing::SourceOf(
        "[{name: a, type: int64}, {name: x, type: float64}, {name: s, type: string}, "
        "{name: ts, type: timestamp}]",
        yaml);
    source.schema.pop_back();  // ts is only there to satisfy the YAML reader
    source.timestamp_field = "x";
    SCOPED_TRACE(yaml);

    const Expected expected = Reference(specs, rows);
    auto validator = Validator::Make(source, {}).ValueOrDie();
    std::set<int64_t> good, bad;
    std::map<int64_t, std::string> rules;
    auto collect = [&](const std::shared_ptr<arrow::RecordBatch>& q) {
      if (q == nullptr) return;
      const auto numbers = testing::Strings(q, kRowColumn);
      const auto names = testing::Strings(q, kRulesColumn);
      for (size_t k = 0; k < numbers.size(); ++k) {
        bad.insert(std::stoll(numbers[k]));
        rules[std::stoll(numbers[k])] = names[k];
      }
    };
    size_t begin = 0;
    while (begin < n || begin == 0) {
      const size_t end = std::min(n, begin + 1 + rng() % 100);
      auto checked = validator->Add(ToBatch(rows, begin, end), static_cast<int64_t>(begin));
      ASSERT_TRUE(checked.ok()) << checked.status();
      for (int64_t r : testing::Values(checked->good.rows)) good.insert(r);
      collect(checked->quarantine);
      begin = end;
      if (n == 0) break;
    }
    auto finished = validator->Finish(0).ValueOrDie();
    for (const auto& set : finished.good) {
      for (int64_t r : testing::Values(set.rows)) good.insert(r);
    }
    for (const auto& q : finished.quarantine) collect(q);

    total_bad += static_cast<int64_t>(bad.size());
    for (size_t r = 0; r < specs.size(); ++r) {
      tolerated += specs[r].mostly < 1 && expected.success[r] && expected.unexpected[r] > 0;
    }
    EXPECT_EQ(bad, expected.bad);
    EXPECT_EQ(rules, expected.rules);
    EXPECT_EQ(good.size() + bad.size(), n);
    EXPECT_EQ(finished.report.bad_rows, static_cast<int64_t>(expected.bad.size()));
    const auto& results = finished.report.result["results"];
    ASSERT_EQ(results.size(), specs.size());
    for (size_t r = 0; r < specs.size(); ++r) {
      EXPECT_EQ(results[r]["result"]["unexpected_count"].get<int64_t>(), expected.unexpected[r])
          << specs[r].yaml;
      EXPECT_EQ(results[r]["success"].get<bool>(), expected.success[r]) << specs[r].yaml;
    }
    if (::testing::Test::HasFailure()) return;
  }
  // The cases are not vacuous: rows were quarantined, and failures were tolerated by mostly.
  EXPECT_GT(total_bad, 1000);
  EXPECT_GT(tolerated, 20);
}

}  // namespace
}  // namespace fst::quality
