// `featherstone freshness [--json]`
#include <cstdio>
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/retrieval/freshness.h"
#include "text_table.h"

namespace fst::cli {
namespace {

std::string Age(int64_t us) { return us < 0 ? "-" : core::FormatDuration(us); }

Status Run(const Globals& globals, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto freshness, retrieval::GetFreshness(*repo, core::NowMicros()));
  if (json) {
    std::cout << retrieval::FreshnessJson(freshness).dump(2) << "\n";
    return Status::OK();
  }
  TextTable views({"VIEW", "SOURCE", "WATERMARK", "STREAMED_THROUGH", "LAG", "MATERIALIZED",
                   "PENDING_INGESTS"});
  for (const auto& v : freshness.views) {
    views.Add({v.view, v.source,
               v.watermark ? core::FormatTimestamp(v.watermark->end_ts) : "(never materialized)",
               v.streamed ? core::FormatTimestamp(v.streamed->max_event_ts) : "-",
               Age(v.lag_us), v.watermark ? core::FormatTimestamp(v.watermark->set_at) : "-",
               std::to_string(v.pending_ingests)});
  }
  views.Print(std::cout);
  if (freshness.streams.empty()) return Status::OK();
  std::cout << "\n";
  TextTable streams({"STREAM", "TOPIC", "PARTITIONS", "LAST_BATCH", "AGE"});
  for (const auto& s : freshness.streams) {
    std::string partitions;
    for (const auto& p : s.partitions) {
      partitions += (partitions.empty() ? "" : " ") + std::to_string(p.partition) + ":" +
                    std::to_string(p.next_offset);
    }
    streams.Add({s.source, s.topic, partitions.empty() ? "-" : partitions,
                 s.last_batch_at == 0 ? "(nothing consumed)" : core::FormatTimestamp(s.last_batch_at),
                 Age(s.age_us)});
  }
  streams.Print(std::cout);
  return Status::OK();
}

}  // namespace

void AddFreshnessCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "freshness",
      "How current the served data is: per online feature view the watermark (event time "
      "materialized up to), the event time a stream has applied online up to, the lag of the "
      "later of the two behind now and the ingests not yet materialized; per "
      "stream source the recorded positions (next offset per partition) and the age of the "
      "last micro-batch. docs/lineage.md.\n"
      "Example: featherstone -C shop freshness --json");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print {now, views, streams} as JSON (GET /api/freshness)");
  cmd->callback([&globals, action, json] {
    *action = [&globals, json] { return Run(globals, *json); };
  });
}

}  // namespace fst::cli
