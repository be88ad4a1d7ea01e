// The online side of a stream: a micro-batch's good rows applied to the stored row of each
// online view of the source, entity by entity (read-modify-write), with the Kafka positions
// that produced them in the same write batch. The stored rows equal what `materialize` writes
// for the same events (docs/impl.md "Streams", "Online encoding").
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>

#include "featherstone/features/view_plan.h"
#include "featherstone/online/row_codec.h"
#include "featherstone/online/tile_codec.h"
#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

// One view's inputs from a batch of events: the columns a stored row holds and each event's
// place in the tie order.
struct ViewEvents {
  std::vector<std::shared_ptr<arrow::Array>> latest;  // plan.latest_columns
  std::vector<std::shared_ptr<arrow::Array>> agg;     // plan.agg_columns
  std::vector<online::RowStamp> stamps;
};

// The columns of `batch` (the source's columns and offline::kSeqColumn) that `plan` stores,
// cast to the planned types. Errors: Invalid naming a missing column.
Result<ViewEvents> ExtractViewEvents(const features::ViewPlan& plan,
                                     const arrow::RecordBatch& batch);

// How the stored events of `plan` (a view with aggregations) are tiled: online::MakeTileLayout
// of its aggregations. Materialize and the stream write rows with it.
online::TileLayout TileLayoutOf(const features::ViewPlan& plan);

// The stored row of one entity after events `rows` of `events` (all of that entity): the
// latest row is the later of the stored one and the events' latest under the tie order
// (event time, created time with none first, sequence), so a late event older than the stored
// winner does not replace it; with aggregations, the stored and new events merged in that
// order, without those before WindowFirstTime(trim_end, plan.max_window_us) — no window of a
// read at or after trim_end reaches them — tiled by TileLayoutOf(plan) (format 3). `stored`:
// the entity's current row, if any, of any format (not within `out`). Errors: Invalid when
// it does not decode.
// `scratch` holds buffers reused from entity to entity.
struct MergeScratch {
  online::TiledEvents stored;
  online::TileEncoder encoder;
  std::vector<int64_t> fresh;
  std::string fresh_bytes;
  std::vector<size_t> fresh_ends;
};
Status MergeEvents(const features::ViewPlan& plan, const online::TileLayout& layout,
                   std::optional<std::string_view> stored, const ViewEvents& events,
                   const std::vector<int64_t>& rows, int64_t trim_end, MergeScratch* scratch,
                   std::string* out);

// The positions recorded with the online rows of a stream: per partition of the topic the
// next offset to apply, and the latest event time applied (the trim end of MergeEvents).
struct StreamRecord {
  std::string topic;
  std::map<int32_t, int64_t> next;
  int64_t max_ts = std::numeric_limits<int64_t>::min();
};

// Applies streamed events to the online views of one source.
class StreamOnline {
 public:
  // Plans the source's online views. Errors: KeyError for an unknown source; those of
  // PlanView; IOError from the online store.
  static Result<std::unique_ptr<StreamOnline>> Make(repo::RepoContext& repo,
                                                    const std::string& source);

  // The record written with the last Apply; nullopt when the store holds none for the source.
  // Errors: Invalid when it does not parse; IOError.
  Result<std::optional<StreamRecord>> Record();

  // Merges `rows` (the source's columns and offline::kSeqColumn) into every online view and
  // writes the new rows with `record` (its max_ts raised to the rows' latest event time) in
  // one write batch; then, at most once a second, records that max_ts in the registry as the
  // source's online progress (freshness). Errors: Invalid for a stored row that does not
  // decode; IOError.
  Status Apply(const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows,
               StreamRecord record);

  // Recomputes the online views from the offline store (RefreshOnline) and records
  // `record`: for an online store that holds no positions of the source (or is behind the
  // offline store), whose rows then come from the offline store alone.
  Status Adopt(StreamRecord record);

  // Records the latest event time applied as the source's online progress now (Apply does
  // so at most once a second; call at the end of a run). Errors: those of the registry.
  Status SaveProgress();

 private:
  StreamOnline(repo::RepoContext& repo, std::string source) : repo_(repo), source_(source) {}
  repo::RepoContext& repo_;
  std::string source_;
  online::OnlineStore* store_ = nullptr;
  std::vector<features::ViewPlan> plans_;
  std::vector<online::TileLayout> layouts_;  // by plan
  MergeScratch scratch_;
  // The rows of the last Apply per plan, their buffers reused by the next (no fresh pages per
  // micro-batch); `merged` a row merged over one written by the same Apply.
  std::vector<online::OnlineStore::ViewRows> writes_;
  std::string merged_;
  std::vector<int64_t> watermark_end_;  // per plan: the trim end materialize last used
  static constexpr int64_t kProgressEveryUs = 1'000'000;
  int64_t applied_max_ts_ = std::numeric_limits<int64_t>::min();
  int64_t progress_saved_at_ = 0;  // µs
};

}  // namespace fst::retrieval
