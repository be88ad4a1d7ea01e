// `featherstone init DIR`: a runnable example repository with generated orders.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "command.h"
#include "featherstone/core/time.h"

namespace fst::cli {
namespace {

constexpr char kTemplate[] = R"yaml(# Featherstone feature repository.
# Declare entities, sources and features here, then:
#   featherstone -C . plan        # what would change
#   featherstone -C . apply       # store the definitions in the registry
# Every object (and every feature) may carry catalog metadata, found by
# `featherstone catalog search WORDS` and shown by `featherstone describe NAME`:
#   description: free text        owner: a team or a person
#   tags: [word, ...]             labels: {key: value, ...}
# It is part of the definition: changing it makes a new version.
project: shop
# registry: sqlite              # default: .featherstone/registry.db; or a PostgreSQL
#                               # database: postgresql://USER:PASSWORD@HOST:5432/DB
#                               # (docs/scaling.md; `featherstone registry migrate`)
# online_store: rocksdb         # default: .featherstone/online

entities:
  - name: customer
    join_keys: [customer_id]      # key types come from the sources' schemas
    description: A buying customer
    owner: crm-team

sources:
  - name: orders
    kind: file
    format: csv                    # csv | parquet | jsonl
    timestamp_field: event_ts      # when the order happened
    created_timestamp_field: created_ts   # when the row was written (breaks ties)
    description: Orders, one row per order event; corrections arrive as later rows
    owner: data-platform
    tags: [orders, billing]
    labels: {pii: "no", system: webshop}
    schema:
      - {name: customer_id, type: int64, nullable: false}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: status, type: string}
      - {name: items, type: int32}
      - {name: event_ts, type: timestamp}
      - {name: created_ts, type: timestamp}
  # The same orders as they happen, one JSON message each on a Kafka topic:
  # `featherstone stream order_events` applies each event to the online store exactly
  # (scripts/kafka starts a local broker; docs/streaming.md).
  - name: order_events
    kind: kafka
    format: json
    bootstrap_servers: 127.0.0.1:9092
    topic: orders
    timestamp_field: event_ts
    description: Orders as they happen, one JSON message per order
    owner: data-platform
    tags: [orders, streaming]
    schema:
      - {name: customer_id, type: int64, nullable: false}
      - {name: order_id, type: string}
      - {name: amount, type: float64, nullable: true}
      - {name: event_ts, type: timestamp}

feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d                       # latest-row features older than this read as null
    online: true
    description: Buying behaviour of a customer
    owner: growth-team
    tags: [churn, spend]
    features:
      # Column features: the value of the customer's latest order (within the ttl).
      - {name: last_order_amount, column: amount, description: Amount of the latest order in euros}
      - {name: last_order_status, column: status}
      # Windowed aggregations over (t - window, t]; exact at any time t.
      - {name: purchase_frequency_30d, agg: count, column: order_id, window: 30d,
         description: Orders placed in the last 30 days}
      - {name: average_order_value, agg: avg, column: amount, window: 365d,
         description: Mean order amount over a year, tags: [spend]}
      - {name: last_order_ts, agg: last, column: event_ts, window: 365d}
      # Expressions over other features; days_since counts days to the lookup time.
      - name: churn_risk_score
        expr: "1/(1+exp(0.9*purchase_frequency_30d - 0.02*days_since(last_order_ts) - 0.5))"
        description: Likelihood the customer stops buying, from recency and frequency
        tags: [churn]

  - name: live_orders
    entities: [customer]
    source: order_events
    online: true
    description: A customer's orders of the last hour and day, from the stream
    tags: [streaming]
    features:
      - {name: orders_1h, agg: count, column: order_id, window: 1h}
      - {name: spend_1d, agg: sum, column: amount, window: 1d}

feature_services:
  - name: churn_model
    description: Inputs of the churn model
    owner: ml-team
    tags: [churn]
    features:
      - customer_features:purchase_frequency_30d
      - customer_features:average_order_value
      - customer_features:churn_risk_score
)yaml";

struct InitOptions {
  std::string dir;
  int64_t customers = 100'000;
  int64_t days = 365;
  double orders_per_month = 2.5;
  uint64_t seed = 42;
};

Status WriteData(const InitOptions& o) {
  std::mt19937_64 rng(o.seed);
  const int64_t hour = 3600 * core::kMicrosPerSecond;
  const int64_t end = core::NowMicros() / hour * hour;
  const int64_t start = end - o.days * core::kMicrosPerDay;
  std::uniform_int_distribution<int64_t> when_seconds(start / core::kMicrosPerSecond,
                                                      end / core::kMicrosPerSecond);
  auto when = [&](std::mt19937_64& g) { return when_seconds(g) * core::kMicrosPerSecond; };
  std::lognormal_distribution<double> amount(3.5, 0.8);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const char* statuses[] = {"paid", "shipped", "delivered", "refunded"};

  const std::string orders_path = o.dir + "/data/orders.csv";
  std::ofstream orders(orders_path);
  orders << "customer_id,order_id,amount,status,items,event_ts,created_ts\n";
  int64_t order_id = 0;
  for (int64_t c = 1; c <= o.customers; ++c) {
    // Customers differ in how often they buy: exponential around the mean.
    const double mean = o.orders_per_month * static_cast<double>(o.days) / 30.0;
    const int64_t n = static_cast<int64_t>(std::floor(-std::log(1.0 - unit(rng)) * mean));
    for (int64_t k = 0; k < n; ++k) {
      const int64_t ts = when(rng);
      // Most rows are written within a minute; some arrive hours later (late events).
      const int64_t created =
          ts + (unit(rng) < 0.05 ? static_cast<int64_t>(unit(rng) * 48) * hour : 30'000'000);
      const double value = std::round(amount(rng) * 100.0) / 100.0;
      const int items = 1 + static_cast<int>(unit(rng) * 5);
      const std::string id = "o" + std::to_string(++order_id);
      const char* status = statuses[rng() % 4];
      orders << c << "," << id << ",";
      if (unit(rng) >= 0.01) orders << value;  // 1% missing amounts
      orders << "," << status << "," << items << "," << core::FormatTimestamp(ts) << ","
             << core::FormatTimestamp(created) << "\n";
      if (unit(rng) < 0.02) {
        // A duplicate event: same time, re-sent later with a corrected amount.
        orders << c << "," << id << "," << std::round(value * 90.0) / 100.0 << "," << status
               << "," << items << "," << core::FormatTimestamp(ts) << ","
               << core::FormatTimestamp(created + hour) << "\n";
      }
    }
  }
  if (!orders) return Status::IOError(orders_path, ": write failed");

  const std::string spine_path = o.dir + "/data/spine.csv";
  std::ofstream spine(spine_path);
  spine << "customer_id,event_timestamp,label\n";
  std::uniform_int_distribution<int64_t> who(1, o.customers);
  const int64_t rows = std::max<int64_t>(10, o.customers / 10);
  for (int64_t r = 0; r < rows; ++r) {
    spine << who(rng) << "," << core::FormatTimestamp(when(rng)) << "," << (unit(rng) < 0.2 ? 1 : 0)
          << "\n";
  }
  if (!spine) return Status::IOError(spine_path, ": write failed");
  return Status::OK();
}

Status Run(const InitOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.dir, ec) && !fs::is_empty(o.dir, ec)) {
    return Status::Invalid("'", o.dir, "' exists and is not empty; choose a new folder");
  }
  fs::create_directories(o.dir + "/data", ec);
  if (ec) return Status::IOError(o.dir, ": ", ec.message());
  std::ofstream yaml(o.dir + "/featherstone.yaml");
  yaml << kTemplate;
  if (!yaml) return Status::IOError(o.dir, "/featherstone.yaml: write failed");
  FST_RETURN_NOT_OK(WriteData(o));
  std::cout << "Created " << o.dir << " with featherstone.yaml, data/orders.csv and data/spine.csv.\n"
            << "Next:\n"
            << "  featherstone -C " << o.dir << " apply\n"
            << "  featherstone -C " << o.dir << " ingest orders " << o.dir << "/data/orders.csv\n";
  return Status::OK();
}

}  // namespace

void AddInitCommand(CLI::App& app, Globals&, Action* action) {
  auto* cmd = app.add_subcommand(
      "init", "Create an example feature repository with a commented featherstone.yaml and "
              "generated orders (with late and duplicate events).\n"
              "Example: featherstone init shop");
  auto o = std::make_shared<InitOptions>();
  cmd->add_option("dir", o->dir, "New folder")->required();
  cmd->add_option("--customers", o->customers, "Number of customers (default 100000)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cmd->add_option("--days", o->days, "Days of history ending now (default 365)")
      ->check(CLI::Range(int64_t{1}, int64_t{3650}));
  cmd->add_option("--orders-per-month", o->orders_per_month,
                  "Mean orders per customer per month (default 2.5)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--seed", o->seed, "Random seed (default 42)");
  cmd->callback([action, o] { *action = [o] { return Run(*o); }; });
}

}  // namespace fst::cli
