#include "featherstone/retrieval/materialize.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <arrow/api.h>

#include "featherstone/core/time.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/offline/window_join.h"
#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/retrieval/stream_online.h"
#include "view_compute.h"
#include "view_keys.h"

namespace fst::retrieval {
namespace {

// Event time stored for a key whose latest row is out of range: reads see nulls.
constexpr int64_t kNoRow = std::numeric_limits<int64_t>::min();

online::RowStamp Stamp(const offline::RowOrder& order) {
  return {order.ts, order.created, order.seq};
}

// Encoded key -> [begin, end) of its events in `events` (grouped by key).
Result<std::unordered_map<std::string, std::pair<int64_t, int64_t>>> GroupEvents(
    const offline::KeyedEvents& events) {
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> groups;
  const int64_t n = static_cast<int64_t>(events.ts.size());
  if (n == 0) return groups;
  // Keys encoded the way lookups encode them.
  const auto& key_arrays = events.keys.arrays();
  int64_t begin = 0;
  for (int64_t e = 1; e <= n; ++e) {
    if (e < n && events.keys.Equal(e, events.keys, begin)) continue;
    std::string key;
    online::EncodeKey(key_arrays, begin, &key);
    groups.emplace(std::move(key), std::make_pair(begin, e));
    begin = e;
  }
  return groups;
}

// Materializes one view: its keys touched since the watermark (or all), then the watermark.
Result<ViewMaterialized> MaterializeView(repo::RepoContext& repo,
                                         const definitions::Repo& applied,
                                         online::OnlineStore* store,
                                         const definitions::FeatureView* view,
                                         const MaterializeOptions& options) {
  FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(applied, view->name, {}));
  FST_ASSIGN_OR_RAISE(auto records, repo.registry().ListFiles(plan.source->name));
  FST_ASSIGN_OR_RAISE(auto files, PartRefs(repo, plan));
  KeyFilter filter;
  filter.max_ts = options.end;
  offline::PitWindow window;
  if (options.start.has_value()) {
    filter.min_ts = *options.start;
    window.min_ts = *options.start;
  }
  FST_ASSIGN_OR_RAISE(auto watermark, repo.registry().GetWatermark(view->name));
  if (options.incremental && watermark.has_value()) {
    filter.last_ingest_id = watermark->last_ingest_id;
    filter.previous_end = watermark->end_ts;
  }
  FST_ASSIGN_OR_RAISE(auto keys, TouchedKeys(files, records, plan, filter));
  FST_ASSIGN_OR_RAISE(auto key_arrays, KeyArrays(keys, plan));
  const std::vector<int64_t> at(keys.size(), options.end);
  std::vector<std::shared_ptr<arrow::Array>> latest;
  std::vector<online::RowStamp> latest_stamps(keys.size(), online::RowStamp{0});
  if (!plan.latest_columns.empty()) {
    FST_ASSIGN_OR_RAISE(auto joined, offline::PitJoinFiles(files, key_arrays, at,
                                                           MakePitSpec(plan, window),
                                                           repo.threads()));
    latest = std::move(joined.values);
    const auto& ts = static_cast<const arrow::Int64Array&>(*joined.event_ts);
    for (size_t i = 0; i < keys.size(); ++i) {
      latest_stamps[i] = ts.IsNull(static_cast<int64_t>(i)) ? online::RowStamp{kNoRow}
                                                            : Stamp(joined.orders[i]);
    }
  }
  // Windowed features: each key keeps its events of the longest window before `end`.
  offline::KeyedEvents events;
  std::unordered_map<std::string, std::pair<int64_t, int64_t>> event_groups;
  std::vector<online::RowStamp> event_stamps;
  if (!plan.aggregations.empty()) {
    const int64_t from =
        std::max(window.min_ts, offline::WindowFirstTime(options.end, plan.max_window_us));
    FST_ASSIGN_OR_RAISE(events, offline::LoadKeyedEvents(files, MakeWindowSpec(plan), from,
                                                         options.end, repo.threads(),
                                                         /*orders=*/true));
    FST_ASSIGN_OR_RAISE(event_groups, GroupEvents(events));
    event_stamps.reserve(events.orders.size());
    for (const auto& order : events.orders) event_stamps.push_back(Stamp(order));
  }
  ViewMaterialized done{view->name, 0};
  const bool tiled = !plan.aggregations.empty();
  const online::TileLayout layout = tiled ? TileLayoutOf(plan) : online::TileLayout{};
  // The rows go to the store in ascending key order, in one sorted write.
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  FST_ASSIGN_OR_RAISE(auto writer, store->WriteSorted(view->name));
  std::string value, encoded_events;
  for (const size_t i : order) {
    value.clear();
    online::EncodeRow(latest_stamps[i], latest, plan.latest_types, static_cast<int64_t>(i),
                      &value, tiled);
    if (tiled) {
      std::vector<int64_t> rows;
      auto it = event_groups.find(keys[i]);
      if (it != event_groups.end()) {
        for (int64_t e = it->second.first; e < it->second.second; ++e) rows.push_back(e);
      }
      encoded_events.clear();
      for (int64_t row : rows) {
        online::EncodeRow(event_stamps[static_cast<size_t>(row)], events.columns, plan.agg_types,
                          row, &encoded_events);
      }
      FST_RETURN_NOT_OK(
          online::EncodeTiles(encoded_events, rows.size(), plan.agg_types, layout, &value));
    } else if (latest_stamps[i].ts == kNoRow) {
      continue;
    }
    FST_RETURN_NOT_OK(writer->Add(keys[i], value));
    ++done.keys_written;
  }
  FST_RETURN_NOT_OK(writer->Finish());
  int64_t last_ingest = watermark.has_value() ? watermark->last_ingest_id : 0;
  for (const auto& record : records) last_ingest = std::max(last_ingest, record.ingest_id);
  FST_RETURN_NOT_OK(repo.registry().SetWatermark(
      {view->name, std::max(options.end, watermark ? watermark->end_ts : options.end),
       last_ingest}));
  return done;
}

}  // namespace

Result<std::vector<ViewMaterialized>> Materialize(repo::RepoContext& repo,
                                                  const MaterializeOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(online::OnlineStore * store, repo.Online());
  std::vector<const definitions::FeatureView*> views;
  if (options.views.empty()) {
    for (const auto& view : applied->feature_views) {
      if (view.online) views.push_back(&view);
    }
  } else {
    for (const auto& name : options.views) {
      const auto* view = applied->FindView(name);
      if (view == nullptr) return Status::KeyError("unknown feature view '", name, "'");
      if (!view->online) return Status::KeyError("feature view '", name, "' is not online");
      views.push_back(view);
    }
  }
  const std::string& project = repo.project();
  std::vector<ViewMaterialized> results;
  for (const auto* view : views) {
    // An OpenLineage run "materialize.VIEW": the source's offline data -> the online view.
    lineage::Dataset output{project, "online/" + view->name};
    lineage::LineageRun run(repo.lineage(), "materialize." + view->name,
                            {{project, "offline/" + view->source}}, {output});
    auto done = MaterializeView(repo, *applied, store, view, options);
    if (!done.ok()) {
      run.Fail(done.status().message());
      return done.status();
    }
    output.output_facets = lineage::OutputStatistics(done->keys_written);
    run.Complete(done->keys_written, {}, {output});
    results.push_back(*done);
  }
  FST_RETURN_NOT_OK(store->Flush());
  return results;
}

}  // namespace fst::retrieval
