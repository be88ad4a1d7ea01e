// In-process cost of contract evaluation: quality::Validator over generated record batches,
// with no contract (metrics only), each expectation alone, and all ten together. Prints
// CPU ns per row (min of --repeat runs). The end-to-end ingest overhead is bench/quality_overhead.py.
//
//   build/bench/quality_benchmark [--rows 10000000] [--repeat 3] [--only "regex"]
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <arrow/builder.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/quality/validator.h"

namespace {

using namespace fst;

constexpr char kSchema[] =
    "[{name: customer_id, type: int64}, {name: f1, type: float64}, {name: f2, type: float64}, "
    "{name: f3, type: float64}, {name: f4, type: int64}, {name: f5, type: string}, "
    "{name: event_ts, type: timestamp}, {name: created_ts, type: timestamp}]";

std::string InSetValues() {
  std::string values;
  char name[16];
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(name, sizeof(name), "cat_%04d", i);
    values += (i ? ", " : "") + std::string(name);
  }
  return values;
}

const std::vector<std::pair<std::string, std::string>>& Expectations() {
  static const std::vector<std::pair<std::string, std::string>> kAll = {
      {"not_null", "{expect: not_null, column: customer_id}"},
      {"not_null mostly", "{expect: not_null, column: f3, mostly: 0.98}"},
      {"between float", "{expect: between, column: f1, min: -500, max: 500}"},
      {"between int", "{expect: between, column: f4, min: -1000000, max: 1000000}"},
      {"in_set 1000", "{expect: in_set, column: f5, values: [" + InSetValues() + "], mostly: 0.95}"},
      {"regex", "{expect: regex, column: f5, regex: \"^cat_[0-9]{4}$\"}"},
      {"unique 3 columns",
       "{expect: unique, columns: [customer_id, event_ts, created_ts], mostly: 0.97}"},
      {"null_rate_max", "{expect: null_rate_max, column: f2, max: 0.25}"},
      {"row_count_between", "{expect: row_count_between, min: 1}"},
      {"mean_between", "{expect: mean_between, column: f1, min: -10, max: 10}"},
  };
  return kAll;
}

definitions::Source SourceWith(const std::vector<std::string>& expectations) {
  std::string text = "sources:\n  - name: events\n    timestamp_field: event_ts\n    schema: " +
                     std::string(kSchema) + "\n";
  if (!expectations.empty()) {
    text += "    contract:\n      expectations:\n";
    for (const auto& e : expectations) text += "        - " + e + "\n";
  }
  auto repo = definitions::ParseYaml(text, "bench.yaml");
  if (!repo.ok()) {
    std::fprintf(stderr, "%s\n", repo.status().ToString().c_str());
    std::exit(1);
  }
  return repo->sources[0];
}

// Batches like bench/datagen.py's feature table: 1% null f3, 20% null f2, 3% null f5, 2% rows
// repeating the previous (customer_id, event_ts, created_ts).
std::vector<std::shared_ptr<arrow::RecordBatch>> MakeBatches(int64_t rows, int64_t batch_rows) {
  std::mt19937_64 rng(20251125);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  const auto ts_type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  arrow::FieldVector fields = {
      arrow::field("customer_id", arrow::int64()), arrow::field("f1", arrow::float64()),
      arrow::field("f2", arrow::float64()),        arrow::field("f3", arrow::float64()),
      arrow::field("f4", arrow::int64()),          arrow::field("f5", arrow::utf8()),
      arrow::field("event_ts", ts_type),           arrow::field("created_ts", ts_type)};
  int64_t customer = 0, event = 0, created = 0;
  char category[16];
  for (int64_t start = 0; start < rows; start += batch_rows) {
    const int64_t n = std::min(batch_rows, rows - start);
    arrow::Int64Builder id, f4;
    arrow::DoubleBuilder f1, f2, f3;
    arrow::StringBuilder f5;
    arrow::TimestampBuilder ts(ts_type, arrow::default_memory_pool()),
        cr(ts_type, arrow::default_memory_pool());
    for (int64_t i = 0; i < n; ++i) {
      if (uniform(rng) >= 0.02 || start + i == 0) {
        customer = static_cast<int64_t>(rng() % 1'000'000);
        event = 1'735'689'600'000'000 + static_cast<int64_t>(rng() % (120 * core::kMicrosPerDay));
        created = event + static_cast<int64_t>(rng() % (6 * 3600 * core::kMicrosPerSecond));
      }
      (void)id.Append(customer);
      (void)f1.Append(uniform(rng) * 1000 - 500);
      if (uniform(rng) < 0.2) (void)f2.AppendNull(); else (void)f2.Append(uniform(rng) * 1e6);
      if (uniform(rng) < 0.01) (void)f3.AppendNull(); else (void)f3.Append(uniform(rng) / 7);
      (void)f4.Append(static_cast<int64_t>(rng() % 2'000'000) - 1'000'000);
      if (uniform(rng) < 0.03) {
        (void)f5.AppendNull();
      } else {
        std::snprintf(category, sizeof(category), "cat_%04d", static_cast<int>(rng() % 1000));
        (void)f5.Append(category);
      }
      (void)ts.Append(event);
      (void)cr.Append(created);
    }
    arrow::ArrayVector columns(8);
    (void)id.Finish(&columns[0]);
    (void)f1.Finish(&columns[1]);
    (void)f2.Finish(&columns[2]);
    (void)f3.Finish(&columns[3]);
    (void)f4.Finish(&columns[4]);
    (void)f5.Finish(&columns[5]);
    (void)ts.Finish(&columns[6]);
    (void)cr.Finish(&columns[7]);
    batches.push_back(arrow::RecordBatch::Make(arrow::schema(fields), n, columns));
  }
  return batches;
}

// CPU seconds of this process (all threads): steadier than wall time on a shared machine.
double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// CPU seconds to validate every batch once with `source`'s contract (min of `repeat`).
double TimeRun(const definitions::Source& source,
               const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, int repeat,
               int64_t* bad) {
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    quality::ValidatorOptions options;
    options.required_columns = {"customer_id", "event_ts"};
    auto validator = quality::Validator::Make(source, options).ValueOrDie();
    const double start = CpuSeconds();
    int64_t first = 0;
    for (const auto& batch : batches) {
      auto checked = validator->Add(batch, first).ValueOrDie();
      first += batch->num_rows();
    }
    auto finished = validator->Finish(core::NowMicros()).ValueOrDie();
    const double seconds = CpuSeconds() - start;
    best = std::min(best, seconds);
    *bad = finished.report.bad_rows;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10'000'000;
  int repeat = 3;
  std::string only;  // profile one expectation (by name) alone
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::atoll(argv[i + 1]);
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  if (!core::EnsureArrowCompute().ok()) return 1;
  const auto batches = MakeBatches(rows, 1 << 17);
  std::printf("%lld rows in batches of %d, min of %d runs\n", static_cast<long long>(rows),
              1 << 17, repeat);
  std::printf("%-22s %10s %10s %8s\n", "contract", "cpu s", "ns/row", "bad");
  int64_t bad = 0;
  if (!only.empty()) {
    for (const auto& [name, yaml] : Expectations()) {
      if (name != only) continue;
      const double seconds = TimeRun(SourceWith({yaml}), batches, repeat, &bad);
      std::printf("%-22s %10.3f %10.1f\n", name.c_str(), seconds,
                  seconds * 1e9 / static_cast<double>(rows));
    }
    return 0;
  }
  TimeRun(SourceWith({}), batches, 1, &bad);  // warm-up: first touch of the batches
  const double base = TimeRun(SourceWith({}), batches, repeat, &bad);
  auto print = [&](const std::string& name, double seconds) {
    std::printf("%-22s %10.3f %10.1f %8lld\n", name.c_str(), seconds,
                seconds * 1e9 / static_cast<double>(rows), static_cast<long long>(bad));
  };
  print("none (metrics only)", base);
  std::vector<std::string> all;
  for (const auto& [name, yaml] : Expectations()) {
    all.push_back(yaml);
    const double seconds = TimeRun(SourceWith({yaml}), batches, repeat, &bad);
    print("+ " + name, seconds - base);
  }
  const double together = TimeRun(SourceWith(all), batches, repeat, &bad);
  print("all 10", together);
  print("all 10 minus none", together - base);
  return 0;
}
