#include "featherstone/serving/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace fst::serving {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(LatencyHistogram, CumulativeBucketsSumAndCount) {
  LatencyHistogram h;
  h.Observe(40);      // <= 50 µs
  h.Observe(50);      // <= 50 µs (bounds are inclusive)
  h.Observe(700);     // <= 1 ms
  h.Observe(20'000'000);  // +Inf
  std::string out;
  h.Format("lat", "endpoint=\"/x\"", &out);
  EXPECT_TRUE(Has(out, "lat_bucket{endpoint=\"/x\",le=\"5e-05\"} 2")) << out;
  EXPECT_TRUE(Has(out, "lat_bucket{endpoint=\"/x\",le=\"0.0005\"} 2")) << out;
  EXPECT_TRUE(Has(out, "lat_bucket{endpoint=\"/x\",le=\"0.001\"} 3")) << out;
  EXPECT_TRUE(Has(out, "lat_bucket{endpoint=\"/x\",le=\"10\"} 3")) << out;
  EXPECT_TRUE(Has(out, "lat_bucket{endpoint=\"/x\",le=\"+Inf\"} 4")) << out;
  EXPECT_TRUE(Has(out, "lat_sum{endpoint=\"/x\"} 20.00079")) << out;
  EXPECT_TRUE(Has(out, "lat_count{endpoint=\"/x\"} 4")) << out;
  std::string bare;
  h.Format("lat", "", &bare);
  EXPECT_TRUE(Has(bare, "lat_bucket{le=\"+Inf\"} 4")) << bare;
  EXPECT_TRUE(Has(bare, "lat_count 4")) << bare;
}

TEST(Metrics, RequestsByEndpointAndCode) {
  Metrics m({"customer_features"}, {"churn_model"});
  m.CountRequest(Endpoint::kGetOnlineFeatures, 200, 30);
  m.CountRequest(Endpoint::kGetOnlineFeatures, 200, 30);
  m.CountRequest(Endpoint::kGetOnlineFeatures, 400, 30);
  m.CountRequest(Endpoint::kPush, 422, 5000);
  m.CountRequest(Endpoint::kOther, 418, 1);
  m.ServiceLatency("churn_model")->Observe(25);
  EXPECT_EQ(m.ServiceLatency("not_a_service"), nullptr);
  const std::string out = m.Format({});
  const std::string lookups = "fst_http_requests_total{endpoint=\"/get-online-features\",";
  EXPECT_TRUE(Has(out, lookups + "code=\"200\"} 2")) << out;
  EXPECT_TRUE(Has(out, lookups + "code=\"400\"} 1"));
  EXPECT_TRUE(Has(out, "fst_http_requests_total{endpoint=\"/push\",code=\"422\"} 1"));
  EXPECT_TRUE(Has(out, "fst_http_requests_total{endpoint=\"other\",code=\"other\"} 1"));
  EXPECT_EQ(out.find("endpoint=\"/health\""), std::string::npos) << "unused series are left out";
  EXPECT_TRUE(Has(out, "fst_http_request_duration_seconds_count{endpoint="
                       "\"/get-online-features\"} 3"));
  EXPECT_TRUE(Has(out, "fst_online_service_duration_seconds_count{service=\"churn_model\"} 1"));
  EXPECT_EQ(out.find("not_a_service"), std::string::npos);
  EXPECT_TRUE(Has(out, "# TYPE fst_http_request_duration_seconds histogram"));
  EXPECT_TRUE(Has(out, "# TYPE fst_http_requests_total counter"));
}

TEST(Metrics, RequestsPerTokenName) {
  Metrics m({}, {}, {"churn-api", "ops"});
  m.CountToken("churn-api", true);
  m.CountToken("churn-api", false);
  m.CountToken("churn-api", false);
  m.CountToken("not-a-token", true);
  const std::string out = m.Format({});
  const std::string churn = "fst_auth_token_requests_total{token=\"churn-api\",";
  EXPECT_TRUE(Has(out, churn + "outcome=\"allowed\"} 1")) << out;
  EXPECT_TRUE(Has(out, churn + "outcome=\"forbidden\"} 2")) << out;
  EXPECT_TRUE(Has(out, "fst_auth_token_requests_total{token=\"ops\",outcome=\"allowed\"} 0"));
  EXPECT_EQ(out.find("not-a-token"), std::string::npos);
  EXPECT_EQ(Metrics({}, {}).Format({}).find("fst_auth_token"), std::string::npos)
      << "no token series without auth";
}

TEST(Metrics, LookupStatusesPerViewAndLogCounters) {
  Metrics m({"customer_features", "transaction_features"}, {});
  retrieval::OnlineRows rows;
  rows.columns = {"customer_id", "a", "b", "c"};
  rows.key_columns = 1;
  using S = retrieval::FeatureStatus;
  rows.statuses = {{S::kPresent, S::kNotFound, S::kNotFound, S::kPresent},
                   {S::kPresent, S::kOutsideMaxAge, S::kPresent, S::kNotFound}};
  rows.rows.resize(2);
  const auto views = m.FindViews({"customer_features", "customer_features", "not_a_view"});
  EXPECT_EQ(views[2], nullptr);
  m.CountLookup(rows, m.FindViews({"customer_features", "customer_features",
                                   "transaction_features"}));
  m.CountPush(10, 2);
  FeatureLogCounters log;
  log.queued = 3;
  log.written = 7;
  log.dropped = 1;
  const std::string out = m.Format(log);
  EXPECT_TRUE(Has(out, "fst_online_rows_served_total 2")) << out;
  const std::string status = "fst_online_feature_status_total{view=";
  EXPECT_TRUE(Has(out, status + "\"customer_features\",status=\"NOT_FOUND\"} 2"));
  EXPECT_TRUE(Has(out, status + "\"customer_features\",status=\"OUTSIDE_MAX_AGE\"} 1"));
  EXPECT_TRUE(Has(out, status + "\"transaction_features\",status=\"NOT_FOUND\"} 1"));
  EXPECT_TRUE(Has(out, "fst_push_rows_total{outcome=\"written\"} 10"));
  EXPECT_TRUE(Has(out, "fst_push_rows_total{outcome=\"quarantined\"} 2"));
  EXPECT_TRUE(Has(out, "fst_feature_log_queued_records 3"));
  EXPECT_TRUE(Has(out, "fst_feature_log_records_written_total 7"));
  EXPECT_TRUE(Has(out, "fst_feature_log_records_dropped_total 1"));
}

// Counting from many threads loses nothing (relaxed atomics, no lock).
TEST(Metrics, ConcurrentCountsAddUp) {
  Metrics m({}, {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 10'000; ++i) m.CountRequest(Endpoint::kHealth, 200, i % 700);
    });
  }
  for (auto& t : threads) t.join();
  const std::string out = m.Format({});
  EXPECT_TRUE(Has(out, "fst_http_requests_total{endpoint=\"/health\",code=\"200\"} 40000")) << out;
  EXPECT_TRUE(Has(out, "fst_http_request_duration_seconds_count{endpoint=\"/health\"} 40000"));
}

}  // namespace
}  // namespace fst::serving
