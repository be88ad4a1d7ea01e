// In-process online lookup latency through retrieval::GetOnlineFeatures (key encoding, RocksDB
// read, row decoding, aggregations, expressions, JSON building), reported per case as
// p50/p99/p99.9 in µs over CALLS calls (wall clock, and the calling thread's CPU time, which
// a loaded machine's preemptions leave out), after a warm-up that reads every key once (so that
// RocksDB's block cache holds the store, as in a serving process) and CALLS/10 more calls;
// "found" counts the calls whose first entity's last requested feature is not null.
// Usage: online_lookup_benchmark REPO KEY_NAME MAX_KEY CALLS CASE...
//   CASE: [typed:]FEATURES[#BATCH] where FEATURES is "view:feature[,...]" or "service=NAME" and
//   BATCH the entities per call (default 1); "typed:" times GetOnlineFeatures alone (typed
//   values, the Python SDK's and the server's call), otherwise with the JSON the CLI prints.
//   Keys are drawn uniformly from 1..MAX_KEY (integer join key). Run after materialize. Example (the `featherstone init` repo):
//   online_lookup_benchmark /tmp/shop customer_id 100000 200000
//     customer_features:last_order_amount service=churn_model service=churn_model#100
//   (one command line).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <time.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/online_json.h"

namespace {

using namespace fst;

struct Case {
  bool typed = false;
  std::string features;
  std::string service;
  int64_t batch = 1;
};

// CPU time of the calling thread in ns (it does not advance while the thread is preempted).
int64_t ThreadCpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Case ParseCase(const std::string& text) {
  Case c;
  std::string spec = text;
  if (spec.rfind("typed:", 0) == 0) {
    c.typed = true;
    spec = spec.substr(6);
  }
  if (const auto hash = spec.find('#'); hash != std::string::npos) {
    c.batch = std::max<int64_t>(1, std::atoll(spec.c_str() + hash + 1));
    spec.resize(hash);
  }
  if (spec.rfind("service=", 0) == 0) {
    c.service = spec.substr(8);
  } else {
    c.features = spec;
  }
  return c;
}

Status RunCase(repo::RepoContext& repo, const std::string& text, const std::string& key_name,
               int64_t max_key, int64_t calls) {
  const Case c = ParseCase(text);
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto refs, retrieval::ResolveFeatures(*applied, c.features, c.service));
  std::mt19937_64 rng(1);
  std::vector<double> micros;
  std::vector<double> cpu_micros;
  micros.reserve(static_cast<size_t>(calls));
  cpu_micros.reserve(static_cast<size_t>(calls));
  const int64_t at = core::NowMicros();
  int64_t found = 0;
  std::vector<retrieval::EntityKeyText> entities(static_cast<size_t>(c.batch));
  for (int64_t key = 1; key <= max_key; ++key) {
    FST_RETURN_NOT_OK(retrieval::GetOnlineFeatures(repo, refs, {{{key_name, std::to_string(key)}}},
                                                  at, false)
                          .status());
  }
  for (int64_t call = 0; call < calls + calls / 10; ++call) {
    for (auto& entity : entities) {
      entity = {{key_name, std::to_string(1 + static_cast<int64_t>(
                                                  rng() % static_cast<uint64_t>(max_key)))}};
    }
    bool first_found = false;
    const int64_t cpu_start = ThreadCpuNanos();
    const auto start = std::chrono::steady_clock::now();
    FST_ASSIGN_OR_RAISE(auto rows, retrieval::GetOnlineFeatures(repo, refs, entities, at, false));
    if (c.typed) {
      first_found = rows.rows[0].back().index() != 0;
    } else {
      const auto json = retrieval::ToJson(rows);
      first_found = !json[0][refs.back().feature].is_null();
    }
    const auto end = std::chrono::steady_clock::now();
    const int64_t cpu_end = ThreadCpuNanos();
    if (call < calls / 10) continue;  // warm-up
    found += first_found ? 1 : 0;
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    cpu_micros.push_back(static_cast<double>(cpu_end - cpu_start) / 1000);
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  auto pct = [](const std::vector<double>& sorted, double p) {
    return sorted[static_cast<size_t>(p * static_cast<double>(sorted.size() - 1))];
  };
  std::printf(
      "{\"case\": \"%s\", \"batch\": %lld, \"calls\": %lld, \"found\": %lld, \"p50_us\": %.2f, "
      "\"p99_us\": %.2f, \"p999_us\": %.2f, \"cpu_p50_us\": %.2f, \"cpu_p99_us\": %.2f, "
      "\"cpu_p999_us\": %.2f}\n",
      text.c_str(), static_cast<long long>(c.batch), static_cast<long long>(calls),
      static_cast<long long>(found), pct(micros, 0.5), pct(micros, 0.99), pct(micros, 0.999),
      pct(cpu_micros, 0.5), pct(cpu_micros, 0.99), pct(cpu_micros, 0.999));
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s REPO KEY_NAME MAX_KEY CALLS CASE...\n", argv[0]);
    return 2;
  }
  auto run = [&]() -> Status {
    FST_RETURN_NOT_OK(core::EnsureArrowCompute());
    FST_ASSIGN_OR_RAISE(auto repo, repo::RepoContext::Open(argv[1]));
    for (int i = 5; i < argc; ++i) {
      FST_RETURN_NOT_OK(RunCase(*repo, argv[i], argv[2], std::atoll(argv[3]), std::atoll(argv[4])));
    }
    return Status::OK();
  };
  const Status status = run();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
