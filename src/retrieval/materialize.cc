#include "featherstone/retrieval/materialize.h"

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
#include "view_compute.h"

namespace fst::retrieval {
namespace {

constexpr size_t kWriteBatch = 100'000;
// Event time stored for a key whose latest row is out of range: reads see nulls.
constexpr int64_t kNoRow = std::numeric_limits<int64_t>::min();

online::RowStamp Stamp(const offline::RowOrder& order) {
  return {order.ts, order.created, order.seq};
}

// Decides which rows of a part mark their key for recomputation.
struct KeyFilter {
  int64_t min_ts = std::numeric_limits<int64_t>::min();
  int64_t max_ts = std::numeric_limits<int64_t>::max();
  // Incremental: rows of ingests after this id count whatever their time; older rows count
  // only when their time is after `previous_end`.
  int64_t last_ingest_id = -1;
  int64_t previous_end = std::numeric_limits<int64_t>::min();
};

// The encoded keys of every row of `files` that passes `filter`, deduplicated.
Result<std::vector<std::string>> TouchedKeys(const std::vector<offline::PartRef>& files,
                                             const std::vector<registry::FileRecord>& records,
                                             const features::ViewPlan& plan, const KeyFilter& filter) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> keys;
  std::vector<std::string> columns = plan.join_keys;
  columns.push_back(plan.source->timestamp_field);
  std::vector<std::shared_ptr<arrow::DataType>> types(columns.size() + 1, arrow::int64());
  std::vector<std::string> with_seq = columns;
  with_seq.push_back(offline::kSeqColumn);
  // The earliest event time that counts for a row of ingest `id`.
  auto lower_for = [&](int64_t id) {
    const bool new_ingest = filter.last_ingest_id >= 0 && id > filter.last_ingest_id;
    return new_ingest || filter.last_ingest_id < 0
               ? filter.min_ts
               : std::max(filter.min_ts, filter.previous_end + 1);
  };
  for (size_t f = 0; f < files.size(); ++f) {
    // A compacted file holds rows of many ingests, old and new: judged row by row.
    const auto spans = registry::IngestSpans(records[f]);
    bool any = false;
    std::set<int64_t> lowers;
    for (const auto& span : spans) {
      const int64_t lower = lower_for(span.ingest_id);
      lowers.insert(lower);
      any = any || (span.max_ts >= lower && span.min_ts <= filter.max_ts);
    }
    if (!any) continue;
    const bool one_lower = lowers.size() == 1;
    FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(
                                        files[f].path, one_lower ? columns : with_seq, types));
    std::vector<std::shared_ptr<arrow::Array>> key_arrays;
    for (size_t k = 0; k < plan.join_keys.size(); ++k) {
      FST_ASSIGN_OR_RAISE(auto array, features::Flatten(*table->column(static_cast<int>(k))));
      key_arrays.push_back(array);
    }
    const int nk = static_cast<int>(plan.join_keys.size());
    FST_ASSIGN_OR_RAISE(auto ts, features::Flatten(*table->column(nk)));
    const int64_t* raw_ts = ts->data()->GetValues<int64_t>(1);
    const int64_t* raw_seq = nullptr;
    std::shared_ptr<arrow::Array> seq;
    if (!one_lower) {
      FST_ASSIGN_OR_RAISE(seq, features::Flatten(*table->column(nk + 1)));
      raw_seq = seq->data()->GetValues<int64_t>(1);
    }
    const int64_t file_lower = *lowers.begin();
    std::string encoded;
    for (int64_t i = 0; i < table->num_rows(); ++i) {
      const int64_t lower = one_lower ? file_lower : lower_for(raw_seq[i] >> 32);
      if (raw_ts[i] < lower || raw_ts[i] > filter.max_ts) continue;
      encoded.clear();
      online::EncodeKey(key_arrays, i, &encoded);
      if (seen.insert(encoded).second) keys.push_back(encoded);
    }
  }
  return keys;
}

// Arrow key columns for encoded keys (the inverse of online::EncodeKey, via their text).
Result<std::vector<std::shared_ptr<arrow::Array>>> KeyArrays(
    const std::vector<std::string>& encoded, const features::ViewPlan& plan) {
  const size_t width = plan.join_keys.size();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
  for (auto type : plan.key_types) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type),
                                         &builder));
    builders.push_back(std::move(builder));
  }
  for (const auto& key : encoded) {
    std::string_view rest = key;
    for (size_t k = 0; k < width; ++k) {
      FST_ASSIGN_OR_RAISE(auto part, online::DecodeKeyPart(&rest));
      auto* builder = builders[k].get();
      if (part.is_int) {
        if (plan.key_types[k] == core::ValueType::kInt32) {
          FST_RETURN_NOT_OK(static_cast<arrow::Int32Builder*>(builder)->Append(
              static_cast<int32_t>(part.int_value)));
        } else {
          FST_RETURN_NOT_OK(static_cast<arrow::Int64Builder*>(builder)->Append(part.int_value));
        }
      } else {
        FST_RETURN_NOT_OK(static_cast<arrow::BinaryBuilder*>(builder)->Append(part.text));
      }
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (auto& builder : builders) {
    std::shared_ptr<arrow::Array> array;
    FST_RETURN_NOT_OK(builder->Finish(&array));
    arrays.push_back(array);
  }
  return arrays;
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
                                                         options.end, repo.threads()));
    FST_ASSIGN_OR_RAISE(event_groups, GroupEvents(events));
    event_stamps.reserve(events.orders.size());
    for (const auto& order : events.orders) event_stamps.push_back(Stamp(order));
  }
  std::vector<std::string> batch_keys, batch_values;
  ViewMaterialized done{view->name, 0};
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string value;
    online::EncodeRow(latest_stamps[i], latest, plan.latest_types, static_cast<int64_t>(i),
                      &value);
    if (!plan.aggregations.empty()) {
      std::vector<int64_t> rows;
      auto it = event_groups.find(keys[i]);
      if (it != event_groups.end()) {
        for (int64_t e = it->second.first; e < it->second.second; ++e) rows.push_back(e);
      }
      online::EncodeRows(event_stamps, events.columns, plan.agg_types, rows, &value);
    } else if (latest_stamps[i].ts == kNoRow) {
      continue;
    }
    batch_keys.push_back(keys[i]);
    batch_values.push_back(std::move(value));
    if (batch_keys.size() == kWriteBatch) {
      FST_RETURN_NOT_OK(store->Write(view->name, batch_keys, batch_values));
      done.keys_written += static_cast<int64_t>(batch_keys.size());
      batch_keys.clear();
      batch_values.clear();
    }
  }
  FST_RETURN_NOT_OK(store->Write(view->name, batch_keys, batch_values));
  done.keys_written += static_cast<int64_t>(batch_keys.size());
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
