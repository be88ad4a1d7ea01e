// Pushed events are validated one by one: a line that does not decode is quarantined with its
// text (a bad row of the run, for the breaker and reject_batch), and a replay decodes it again
// under the schema applied since.
#include "featherstone/ingest/push.h"

#include <string>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../repo/test_repo.h"
#include "featherstone/ingest/quarantine.h"

namespace fst::ingest {
namespace {

// `policy` and the type of `qty` vary; `customer_id` and `event_ts` are required.
std::string Yaml(const std::string& policy, const std::string& qty_type) {
  return R"yaml(project: test
entities:
  - {name: customer, join_keys: [customer_id]}
sources:
  - name: orders
    kind: push
    timestamp_field: event_ts
    schema:
      - {name: customer_id, type: int64}
      - {name: qty, type: )yaml" +
         qty_type + R"yaml(, nullable: true}
      - {name: event_ts, type: timestamp}
    contract:
      policy: )yaml" +
         policy + R"yaml(
      expectations:
        - {expect: between, column: customer_id, min: 0}
feature_views:
  - name: customer_features
    entities: [customer]
    source: orders
    ttl: 30d
    features:
      - {name: qty}
)yaml";
}

constexpr char kLines[] =
    R"({"customer_id": 1, "qty": 3, "event_ts": "2026-01-01T00:00:00Z"}
{"customer_id": 2, "qty": 2.5, "event_ts": "2026-01-01T00:00:00Z"}

not json
{"customer_id": -3, "qty": 1, "event_ts": "2026-01-01T00:00:00Z"}
{"qty": 1, "event_ts": "2026-01-01T00:00:00Z"}
{"customer_id": 4, "event_ts": "2026-01-01T00:00:00Z"}
)";

// Column `name` of `table` (all utf8) as strings.
std::vector<std::string> Column(const arrow::Table& table, const std::string& name) {
  std::vector<std::string> out;
  auto column = table.GetColumnByName(name);
  if (column == nullptr) return out;
  for (const auto& chunk : column->chunks()) {
    const auto& strings = static_cast<const arrow::StringArray&>(*chunk);
    for (int64_t i = 0; i < strings.length(); ++i) out.emplace_back(strings.GetView(i));
  }
  return out;
}

class PushTest : public repo::RepoTest {};

TEST_F(PushTest, UndecodableLinesAreQuarantinedWithTheirText) {
  OpenRepo(Yaml("quarantine", "int64").c_str(), false);
  IngestOptions options;
  options.per_event = true;
  auto pushed = PushJsonLines(*repo_, "orders", kLines, "stdin", options);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->rows, 2);  // customers 1 and 4
  EXPECT_EQ(pushed->rows_quarantined, 4);
  bool decode_failure = false;
  for (const auto& warning : pushed->warnings) {
    decode_failure = decode_failure || warning.starts_with("decode: 2 of 6 rows");
  }
  EXPECT_TRUE(decode_failure) << ::testing::PrintToString(pushed->warnings);

  auto shown = ShowQuarantine(*repo_, "orders", false, 0);
  ASSERT_TRUE(shown.ok()) << shown.status();
  const auto rules = Column(**shown, "__rules");
  const auto reasons = Column(**shown, "__reasons");
  const auto payloads = Column(**shown, kPayloadColumn);
  ASSERT_EQ(rules.size(), 4u);
  ASSERT_EQ(payloads.size(), 4u);
  // Decoded rows first (rows 1-2 of the decoded ones), then the undecoded lines.
  EXPECT_EQ(payloads[0], "");
  EXPECT_EQ(payloads[1], "");
  EXPECT_EQ(rules[2], "decode");
  EXPECT_TRUE(reasons[2].starts_with("stdin: line 2: column 'qty'")) << reasons[2];
  EXPECT_EQ(payloads[2], R"({"customer_id": 2, "qty": 2.5, "event_ts": "2026-01-01T00:00:00Z"})");
  EXPECT_TRUE(reasons[3].starts_with("stdin: line 4: ")) << reasons[3];
  EXPECT_EQ(payloads[3], "not json");
  EXPECT_EQ(Column(**shown, "__row"), (std::vector<std::string>{"2", "3", "5", "6"}));

  // Nothing changed: the replay decodes the lines again and they still fail.
  auto same = ReplayQuarantine(*repo_, "orders", {});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->candidates, 4);
  EXPECT_EQ(same->replayed, 0);

  // qty widened to float64: the line with 2.5 now decodes and is written, once.
  Status applied = repo::WriteAndApply(dir_, Yaml("quarantine", "float64"));
  ASSERT_TRUE(applied.ok()) << applied;
  auto reopened = repo::RepoContext::Open(dir_);
  ASSERT_TRUE(reopened.ok());
  repo_ = std::move(*reopened);
  auto replayed = ReplayQuarantine(*repo_, "orders", {});
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->candidates, 4);
  EXPECT_EQ(replayed->replayed, 1);
  EXPECT_EQ(replayed->still_failing, 3);
  auto again = ReplayQuarantine(*repo_, "orders", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->candidates, 3);
  EXPECT_EQ(again->replayed, 0);
}

TEST_F(PushTest, WithoutPerEventAnUndecodableLineFailsThePush) {
  OpenRepo(Yaml("quarantine", "int64").c_str(), false);
  auto pushed = PushJsonLines(*repo_, "orders", kLines, "stdin", {});
  ASSERT_FALSE(pushed.ok());
  EXPECT_TRUE(pushed.status().message().starts_with("stdin: line 2: column 'qty'"))
      << pushed.status();
}

TEST_F(PushTest, RejectBatchRefusesAPushWithAnUndecodableLine) {
  OpenRepo(Yaml("reject_batch", "float64").c_str(), false);
  IngestOptions options;
  options.per_event = true;
  auto pushed = PushJsonLines(*repo_, "orders", "not json\n", "stdin", options);
  ASSERT_FALSE(pushed.ok());
  EXPECT_NE(pushed.status().message().find("rejected by the contract"), std::string::npos)
      << pushed.status();
  EXPECT_NE(pushed.status().message().find("decode: 1 of 1 rows"), std::string::npos);
  auto files = ListQuarantine(*repo_, "orders");
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

}  // namespace
}  // namespace fst::ingest
