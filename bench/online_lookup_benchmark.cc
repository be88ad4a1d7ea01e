// In-process online lookup latency: one entity per call through pipeline::GetOnlineFeatures
// (key encoding, RocksDB read, row decoding, JSON building), reported as p50/p99/p99.9.
// Usage: online_lookup_benchmark REPO VIEW:FEATURE[,...] KEY_NAME MAX_KEY [CALLS]
// Keys are drawn uniformly from 1..MAX_KEY (integer join key). Run after materialize.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/pipeline/historical.h"
#include "featherstone/pipeline/online_lookup.h"

int main(int argc, char** argv) {
  using namespace fst;
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s REPO VIEW:FEATURE[,...] KEY_NAME MAX_KEY [CALLS]\n", argv[0]);
    return 2;
  }
  const int64_t max_key = std::atoll(argv[4]);
  const int64_t calls = argc > 5 ? std::atoll(argv[5]) : 200000;
  auto run = [&]() -> Status {
    FST_RETURN_NOT_OK(core::EnsureArrowCompute());
    FST_ASSIGN_OR_RAISE(auto repo, pipeline::RepoContext::Open(argv[1]));
    FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
    FST_ASSIGN_OR_RAISE(auto refs, pipeline::ResolveFeatures(*applied, argv[2], ""));
    std::mt19937_64 rng(1);
    std::vector<double> micros;
    micros.reserve(static_cast<size_t>(calls));
    const int64_t at = core::NowMicros();
    int64_t found = 0;
    for (int64_t c = 0; c < calls + calls / 10; ++c) {
      const std::string key = std::to_string(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_key)));
      const auto start = std::chrono::steady_clock::now();
      FST_ASSIGN_OR_RAISE(auto json, pipeline::GetOnlineFeatures(*repo, refs, {{{argv[3], key}}}, at, false));
      const auto end = std::chrono::steady_clock::now();
      if (c < calls / 10) continue;  // warm-up
      found += json[0][refs[0].feature].is_null() ? 0 : 1;
      micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double p) { return micros[static_cast<size_t>(p * (micros.size() - 1))]; };
    std::printf("{\"calls\": %lld, \"found\": %lld, \"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f}\n",
                static_cast<long long>(calls), static_cast<long long>(found), pct(0.5), pct(0.99),
                pct(0.999));
    return Status::OK();
  };
  Status status = run();
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
