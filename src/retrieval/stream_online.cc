#include "featherstone/retrieval/stream_online.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/offline/window_join.h"
#include "featherstone/online/key_codec.h"
#include "featherstone/retrieval/refresh_online.h"

namespace fst::retrieval {
namespace {

// Column `name` of `batch` as `type`. Errors: Invalid when it is missing.
Result<std::shared_ptr<arrow::Array>> Column(const arrow::RecordBatch& batch,
                                             const std::string& name, core::ValueType type) {
  auto column = batch.GetColumnByName(name);
  if (column == nullptr) return Status::Invalid("streamed rows lack column '", name, "'");
  auto arrow_type = core::ToArrowType(type);
  if (column->type()->Equals(arrow_type)) return column;
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  FST_ASSIGN_OR_RAISE(auto cast, arrow::compute::Cast(*column, arrow_type));
  return cast;
}

// Raw int64 values (timestamps, sequences) of `name`; nullptr when absent.
const int64_t* RawInt64(const arrow::RecordBatch& batch, const std::string& name,
                        std::shared_ptr<arrow::Array>* keep) {
  *keep = batch.GetColumnByName(name);
  return *keep == nullptr ? nullptr : (*keep)->data()->GetValues<int64_t>(1);
}

std::string RecordName(const std::string& source) { return "stream/" + source; }

}  // namespace

Result<ViewEvents> ExtractViewEvents(const features::ViewPlan& plan,
                                     const arrow::RecordBatch& batch) {
  ViewEvents events;
  for (size_t c = 0; c < plan.latest_columns.size(); ++c) {
    FST_ASSIGN_OR_RAISE(auto column, Column(batch, plan.latest_columns[c], plan.latest_types[c]));
    events.latest.push_back(column);
  }
  for (size_t c = 0; c < plan.agg_columns.size(); ++c) {
    FST_ASSIGN_OR_RAISE(auto column, Column(batch, plan.agg_columns[c], plan.agg_types[c]));
    events.agg.push_back(column);
  }
  std::shared_ptr<arrow::Array> ts_column, seq_column, created_column;
  const int64_t* ts = RawInt64(batch, plan.source->timestamp_field, &ts_column);
  const int64_t* seq = RawInt64(batch, offline::kSeqColumn, &seq_column);
  if (ts == nullptr || seq == nullptr) {
    return Status::Invalid("streamed rows lack the event time or the sequence column");
  }
  const int64_t* created = nullptr;
  if (!plan.source->created_timestamp_field.empty()) {
    created = RawInt64(batch, plan.source->created_timestamp_field, &created_column);
  }
  events.stamps.resize(static_cast<size_t>(batch.num_rows()));
  for (int64_t i = 0; i < batch.num_rows(); ++i) {
    auto& stamp = events.stamps[static_cast<size_t>(i)];
    stamp.ts = ts[i];
    stamp.seq = seq[i];
    if (created != nullptr && created_column->IsValid(i)) stamp.created = created[i];
  }
  return events;
}

online::TileLayout TileLayoutOf(const features::ViewPlan& plan) {
  std::vector<transform::AggRequest> requests;
  for (const auto& aggregation : plan.aggregations) requests.push_back(aggregation.request);
  return online::MakeTileLayout(requests, plan.agg_types, plan.max_window_us);
}

Status MergeEvents(const features::ViewPlan& plan, const online::TileLayout& layout,
                   std::optional<std::string_view> stored, const ViewEvents& events,
                   const std::vector<int64_t>& rows, int64_t trim_end, MergeScratch* scratch,
                   std::string* out) {
  out->clear();
  const bool tiled = !plan.aggregations.empty();
  // The stored latest row and events, as encoded slices.
  std::string_view in;
  online::RowStamp stored_stamp;
  std::string_view stored_latest;
  online::TiledEvents& stored_tiles = scratch->stored;
  bool reuse_tiles = false;  // stored tiles of `layout`: those no event touches are kept whole
  std::string_view old_events;
  uint64_t old_count = 0;
  if (stored.has_value()) {
    in = *stored;
    const bool stored_tiled = online::EventsTiled(in);
    FST_RETURN_NOT_OK(online::SplitRow(&in, plan.latest_types, &stored_stamp, &stored_latest));
    if (tiled && stored_tiled) {
      FST_RETURN_NOT_OK(stored_tiles.Parse(&in, plan.agg_types));
      reuse_tiles = stored_tiles.Has(layout);
      old_count = stored_tiles.count();
      old_events = stored_tiles.events();
    } else if (tiled) {
      FST_ASSIGN_OR_RAISE(old_count, online::DecodeRowCount(&in));
      old_events = in;
    }
  }
  // The latest row: the PIT winner among the stored row and the new events. A view without
  // latest-row columns stores event time 0, as materialize does.
  int64_t best = -1;
  for (int64_t row : rows) {
    if (best < 0 || events.stamps[static_cast<size_t>(best)] < events.stamps[static_cast<size_t>(row)]) {
      best = row;
    }
  }
  const bool keep_stored =
      stored.has_value() && (best < 0 || !(stored_stamp < events.stamps[static_cast<size_t>(best)]));
  if (keep_stored && tiled) {
    online::AppendTiledLatest(stored_latest, stored_stamp, out);
  } else if (keep_stored) {
    out->append(stored_latest);
  } else {
    const online::RowStamp stamp =
        plan.latest_columns.empty() ? online::RowStamp{0} : events.stamps[static_cast<size_t>(best)];
    online::EncodeRow(stamp, events.latest, plan.latest_types, best, out, tiled);
  }
  if (!tiled) return Status::OK();

  // The events: stored and new merged in tie order, those no window can reach dropped. Stored
  // tiles that no new event falls in and the drop does not cut are copied whole; those whose
  // new events all come after their last keep their summaries, which the new events extend.
  const int64_t first = offline::WindowFirstTime(trim_end, plan.max_window_us);
  std::vector<int64_t>& fresh = scratch->fresh;
  fresh.clear();
  for (int64_t row : rows) {
    if (events.stamps[static_cast<size_t>(row)].ts >= first) fresh.push_back(row);
  }
  std::stable_sort(fresh.begin(), fresh.end(), [&](int64_t a, int64_t b) {
    return events.stamps[static_cast<size_t>(a)] < events.stamps[static_cast<size_t>(b)];
  });
  std::string& fresh_bytes = scratch->fresh_bytes;
  std::vector<size_t>& fresh_ends = scratch->fresh_ends;
  fresh_bytes.clear();
  fresh_ends.clear();
  for (int64_t row : fresh) {
    online::EncodeRow(events.stamps[static_cast<size_t>(row)], events.agg, plan.agg_types, row,
                      &fresh_bytes);
    fresh_ends.push_back(fresh_bytes.size());
  }
  auto fresh_stamp = [&](size_t f) { return events.stamps[static_cast<size_t>(fresh[f])]; };
  auto fresh_tile = [&](size_t f) { return online::TileOf(fresh_stamp(f).ts, layout.width_us); };
  online::TileEncoder& encoder = scratch->encoder;
  encoder.Reset(plan.agg_types, layout);
  size_t f = 0;
  auto add_fresh = [&]() {
    std::string_view event = std::string_view(fresh_bytes).substr(
        f == 0 ? 0 : fresh_ends[f - 1], fresh_ends[f] - (f == 0 ? 0 : fresh_ends[f - 1]));
    ++f;
    return encoder.AddEvent(&event);
  };
  // The `count` old events of `bytes` from `first` on, merged with the new ones before `end`.
  auto merge = [&](std::string_view bytes, uint64_t count, size_t end) -> Status {
    for (uint64_t k = 0; k < count; ++k) {
      online::RowStamp stamp;
      std::string_view event;
      FST_RETURN_NOT_OK(online::SplitRow(&bytes, plan.agg_types, &stamp, &event));
      if (stamp.ts < first) continue;
      while (f < end && fresh_stamp(f) < stamp) FST_RETURN_NOT_OK(add_fresh());
      FST_RETURN_NOT_OK(encoder.AddEvent(&event));
    }
    while (f < end) FST_RETURN_NOT_OK(add_fresh());
    return Status::OK();
  };
  if (reuse_tiles) {
    const auto& tiles = stored_tiles.tiles();
    for (size_t k = 0; k < tiles.size(); ++k) {
      const int64_t index = online::TileOf(tiles[k].first_ts, layout.width_us);
      while (f < fresh.size() && fresh_tile(f) < index) FST_RETURN_NOT_OK(add_fresh());
      size_t end = f;
      while (end < fresh.size() && fresh_tile(end) == index) ++end;
      if (end == f && tiles[k].first_ts >= first) {
        encoder.AddTile(stored_tiles, k);
      } else if (end > f && tiles[k].first_ts >= first && fresh_stamp(f).ts > tiles[k].last_ts) {
        encoder.ExtendTile(stored_tiles, k);  // the new events all come after the stored ones
        while (f < end) FST_RETURN_NOT_OK(add_fresh());
      } else {
        FST_RETURN_NOT_OK(merge(tiles[k].events, tiles[k].rows, end));
      }
    }
  } else {
    FST_RETURN_NOT_OK(merge(old_events, old_count, fresh.size()));
  }
  while (f < fresh.size()) FST_RETURN_NOT_OK(add_fresh());
  encoder.Finish(out);
  return Status::OK();
}

Result<std::unique_ptr<StreamOnline>> StreamOnline::Make(repo::RepoContext& repo,
                                                         const std::string& source) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_RETURN_NOT_OK(repo.AppliedSource(source).status());
  std::unique_ptr<StreamOnline> online(new StreamOnline(repo, source));
  FST_ASSIGN_OR_RAISE(online->store_, repo.Online());
  for (const auto& view : applied->feature_views) {
    if (!view.online || view.source != source) continue;
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(*applied, view.name, {}));
    FST_ASSIGN_OR_RAISE(auto watermark, repo.registry().GetWatermark(view.name));
    online->layouts_.push_back(TileLayoutOf(plan));
    online->plans_.push_back(std::move(plan));
    online->watermark_end_.push_back(watermark.has_value()
                                         ? watermark->end_ts
                                         : std::numeric_limits<int64_t>::min());
  }
  return online;
}

Result<std::optional<StreamRecord>> StreamOnline::Record() {
  FST_ASSIGN_OR_RAISE(auto text, store_->ReadRecord(RecordName(source_)));
  if (!text.has_value()) return std::optional<StreamRecord>();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::Invalid("online store: the stream record of source '", source_,
                           "' does not parse");
  }
  StreamRecord record;
  record.topic = json.value("topic", "");
  record.max_ts = json.value("max_ts", std::numeric_limits<int64_t>::min());
  const nlohmann::json next = json.value("next", nlohmann::json::object());
  for (const auto& [partition, offset] : next.items()) {
    record.next[std::stoi(partition)] = offset.get<int64_t>();
  }
  return std::optional<StreamRecord>(std::move(record));
}

namespace {

std::string RecordText(const StreamRecord& record) {
  nlohmann::json next = nlohmann::json::object();
  for (const auto& [partition, offset] : record.next) next[std::to_string(partition)] = offset;
  return nlohmann::json{{"topic", record.topic}, {"next", std::move(next)}, {"max_ts", record.max_ts}}
      .dump();
}

}  // namespace

Status StreamOnline::Apply(const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows,
                           StreamRecord record) {
  std::shared_ptr<arrow::Array> keep;
  for (const auto& batch : rows) {
    const int64_t* ts = plans_.empty() ? nullptr : RawInt64(*batch, plans_[0].source->timestamp_field, &keep);
    for (int64_t i = 0; ts != nullptr && i < batch->num_rows(); ++i) {
      record.max_ts = std::max(record.max_ts, ts[i]);
    }
  }
  writes_.resize(plans_.size());
  for (size_t v = 0; v < plans_.size(); ++v) {
    const features::ViewPlan& plan = plans_[v];
    online::OnlineStore::ViewRows& write = writes_[v];
    write.view = plan.view->name;
    size_t count = 0;  // rows of write.keys and write.values in use; the rest are spare buffers
    const int64_t trim_end = std::max(record.max_ts, watermark_end_[v]);
    for (const auto& batch : rows) {
      if (batch->num_rows() == 0) continue;
      FST_ASSIGN_OR_RAISE(auto events, ExtractViewEvents(plan, *batch));
      std::vector<std::shared_ptr<arrow::Array>> keys;
      for (size_t k = 0; k < plan.join_keys.size(); ++k) {
        FST_ASSIGN_OR_RAISE(auto key, Column(*batch, plan.join_keys[k], plan.key_types[k]));
        keys.push_back(key);
      }
      // The batch's rows by entity (rows with a null key belong to none, as in materialize).
      std::unordered_map<std::string, std::vector<int64_t>> by_key;
      std::vector<std::string> order;
      std::string encoded;
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        bool null_key = false;
        for (const auto& key : keys) null_key = null_key || key->IsNull(i);
        if (null_key) continue;
        encoded.clear();
        online::EncodeKey(keys, i, &encoded);
        auto [it, added] = by_key.try_emplace(encoded);
        if (added) order.push_back(encoded);
        it->second.push_back(i);
      }
      // Earlier batches of this call may have touched these keys: read through them.
      std::unordered_map<std::string, size_t> written;
      for (size_t w = 0; w < count; ++w) written[write.keys[w]] = w;
      // Stored rows are merged where they lie (pinned in the store's cache, not copied).
      FST_RETURN_NOT_OK(store_->ReadEach(
          plan.view->name, order, [&](size_t k, std::optional<std::string_view> stored) {
            const std::vector<int64_t>& entity_rows = by_key[order[k]];
            auto at = written.find(order[k]);
            if (at != written.end()) {
              FST_RETURN_NOT_OK(MergeEvents(plan, layouts_[v], write.values[at->second], events,
                                            entity_rows, trim_end, &scratch_, &merged_));
              std::swap(write.values[at->second], merged_);
              return Status::OK();
            }
            if (count == write.keys.size()) {
              write.keys.emplace_back();
              write.values.emplace_back();
            }
            write.keys[count] = order[k];
            FST_RETURN_NOT_OK(MergeEvents(plan, layouts_[v], stored, events, entity_rows,
                                          trim_end, &scratch_, &write.values[count]));
            ++count;
            return Status::OK();
          }));
    }
    write.keys.resize(count);
    write.values.resize(count);
  }
  FST_RETURN_NOT_OK(store_->WriteWithRecord(writes_, RecordName(source_), RecordText(record)));
  applied_max_ts_ = record.max_ts;
  if (core::NowMicros() - progress_saved_at_ >= kProgressEveryUs) return SaveProgress();
  return Status::OK();
}

Status StreamOnline::SaveProgress() {
  if (applied_max_ts_ == std::numeric_limits<int64_t>::min()) return Status::OK();
  progress_saved_at_ = core::NowMicros();
  return repo_.registry().SetOnlineProgress({source_, applied_max_ts_, progress_saved_at_});
}

Status StreamOnline::Adopt(StreamRecord record) {
  FST_ASSIGN_OR_RAISE(auto done, RefreshOnline(repo_, source_));
  for (size_t v = 0; v < plans_.size(); ++v) {
    FST_ASSIGN_OR_RAISE(auto watermark, repo_.registry().GetWatermark(plans_[v].view->name));
    if (watermark.has_value()) {
      watermark_end_[v] = watermark->end_ts;
      record.max_ts = std::max(record.max_ts, watermark->end_ts);
    }
  }
  FST_RETURN_NOT_OK(store_->WriteWithRecord({}, RecordName(source_), RecordText(record)));
  applied_max_ts_ = record.max_ts;
  return SaveProgress();
}

}  // namespace fst::retrieval
