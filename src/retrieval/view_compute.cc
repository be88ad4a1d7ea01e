#include "view_compute.h"

#include <algorithm>
#include <set>

#include "featherstone/offline/pit_join.h"

namespace fst::retrieval {

offline::WindowSpec MakeWindowSpec(const features::ViewPlan& plan) {
  offline::WindowSpec spec;
  spec.key_columns = plan.join_keys;
  spec.ts_column = plan.source->timestamp_field;
  spec.created_column = plan.source->created_timestamp_field;
  spec.columns = plan.agg_columns;
  for (auto type : plan.agg_types) spec.types.push_back(core::ToArrowType(type));
  for (const auto& agg : plan.aggregations) spec.requests.push_back(agg.request);
  return spec;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeView(
    const features::ViewPlan& plan, const std::vector<offline::PartRef>& files,
    const std::vector<std::shared_ptr<arrow::Array>>& keys, const std::vector<int64_t>& times,
    int threads, int64_t event_limit) {
  std::vector<std::shared_ptr<arrow::Array>> latest;
  if (!plan.latest_columns.empty()) {
    offline::PitWindow window;
    window.ttl_us = plan.view->ttl_us;
    FST_ASSIGN_OR_RAISE(auto joined, offline::PitJoinFiles(files, keys, times,
                                                           MakePitSpec(plan, window), threads));
    latest = std::move(joined.values);
  }
  std::vector<std::shared_ptr<arrow::Array>> aggregated;
  if (!plan.aggregations.empty()) {
    FST_ASSIGN_OR_RAISE(aggregated, offline::WindowJoinFiles(files, keys, times,
                                                             MakeWindowSpec(plan), threads,
                                                             event_limit));
  }
  return features::ComputeOutputs(plan, latest, aggregated, times);
}

Result<std::vector<offline::PartRef>> PartRefs(repo::RepoContext& repo,
                                               const features::ViewPlan& plan, int64_t known_at) {
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(plan.source->name));
  std::set<int64_t> later;  // ingests published after `known_at`
  if (known_at > 0) {
    FST_ASSIGN_OR_RAISE(auto ingests, repo.registry().ListIngests(plan.source->name));
    for (const auto& ingest : ingests) {
      if (ingest.published_at > known_at) later.insert(ingest.id);
    }
  }
  std::vector<offline::PartRef> refs;
  refs.reserve(files.size());
  for (const auto& file : files) {
    offline::PartRef ref{repo.OfflineRoot() + "/" + file.path, file.min_ts, file.max_ts, {},
                         nullptr};
    if (!later.empty()) {
      // A compacted file holds rows of many ingests: those published later are left out
      // row by row, and the time range is that of the rest.
      bool any = false;
      for (const auto& span : registry::IngestSpans(file)) {
        if (later.count(span.ingest_id) > 0) {
          ref.excluded_ingests.push_back(span.ingest_id);
          continue;
        }
        ref.min_ts = any ? std::min(ref.min_ts, span.min_ts) : span.min_ts;
        ref.max_ts = any ? std::max(ref.max_ts, span.max_ts) : span.max_ts;
        any = true;
      }
      if (!any) continue;
      std::sort(ref.excluded_ingests.begin(), ref.excluded_ingests.end());
    }
    refs.push_back(std::move(ref));
  }
  return refs;
}

offline::PitSpec MakePitSpec(const features::ViewPlan& plan, const offline::PitWindow& window) {
  offline::PitSpec spec;
  spec.key_columns = plan.join_keys;
  spec.ts_column = plan.source->timestamp_field;
  spec.created_column = plan.source->created_timestamp_field;
  spec.value_columns = plan.latest_columns;
  for (auto type : plan.latest_types) spec.value_types.push_back(core::ToArrowType(type));
  spec.window = window;
  return spec;
}

}  // namespace fst::retrieval
