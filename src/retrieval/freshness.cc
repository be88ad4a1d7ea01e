#include "featherstone/retrieval/freshness.h"

#include <algorithm>
#include <limits>

#include "featherstone/core/time.h"
#include "featherstone/registry/stream_offsets.h"

namespace fst::retrieval {
namespace {

using ojson = nlohmann::ordered_json;

ojson TimeOrNull(int64_t us) { return us == 0 ? ojson(nullptr) : ojson(core::FormatTimestamp(us)); }

ojson SecondsOrNull(int64_t us) {
  return us < 0 ? ojson(nullptr) : ojson(static_cast<double>(us) / 1e6);
}

}  // namespace

Result<Freshness> GetFreshness(repo::RepoContext& repo, int64_t now) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  registry::Registry& registry = repo.registry();
  Freshness out;
  out.now = now;
  for (const auto& view : applied->feature_views) {
    if (!view.online) continue;
    FST_ASSIGN_OR_RAISE(std::optional<registry::Watermark> watermark,
                        registry.GetWatermark(view.name));
    // When it was set: the latest row of its history (registries older than the history
    // have none).
    FST_ASSIGN_OR_RAISE(auto latest, registry.GetWatermarkAt(
                                         view.name, std::numeric_limits<int64_t>::max()));
    if (watermark.has_value() && latest.has_value() && latest->end_ts == watermark->end_ts) {
      watermark->set_at = latest->set_at;
    }
    ViewFreshness item{view.name, view.source, std::move(watermark), std::nullopt};
    FST_ASSIGN_OR_RAISE(item.streamed, registry.GetOnlineProgress(view.source));
    std::optional<int64_t> through;
    if (item.watermark.has_value()) through = item.watermark->end_ts;
    if (item.streamed.has_value()) {
      through = std::max(through.value_or(item.streamed->max_event_ts), item.streamed->max_event_ts);
    }
    if (through.has_value()) item.lag_us = std::max<int64_t>(0, now - *through);
    const int64_t seen = item.watermark.has_value() ? item.watermark->last_ingest_id : 0;
    FST_ASSIGN_OR_RAISE(auto ingests, registry.ListIngests(view.source));
    for (const auto& ingest : ingests) {
      if (ingest.published_at > 0 && ingest.rows > 0 && ingest.id > seen &&
          !registry::IsStreamInput(ingest.input)) {
        ++item.pending_ingests;
      }
    }
    out.views.push_back(std::move(item));
  }
  for (const auto& source : applied->sources) {
    if (source.kind != "kafka") continue;
    StreamFreshness item;
    item.source = source.name;
    item.topic = source.topic;
    FST_ASSIGN_OR_RAISE(item.partitions, registry.ListStreamOffsets(source.name));
    for (const auto& p : item.partitions) item.last_batch_at = std::max(item.last_batch_at, p.updated_at);
    if (item.last_batch_at > 0) item.age_us = std::max<int64_t>(0, now - item.last_batch_at);
    out.streams.push_back(std::move(item));
  }
  auto by_view = [](const auto& a, const auto& b) { return a.view < b.view; };
  std::sort(out.views.begin(), out.views.end(), by_view);
  std::sort(out.streams.begin(), out.streams.end(),
            [](const auto& a, const auto& b) { return a.source < b.source; });
  return out;
}

ojson FreshnessJson(const Freshness& freshness) {
  ojson views = ojson::array(), streams = ojson::array();
  for (const auto& v : freshness.views) {
    views.push_back(
        {{"view", v.view},
         {"source", v.source},
         {"watermark", v.watermark ? TimeOrNull(v.watermark->end_ts) : ojson(nullptr)},
         {"materialized_at", v.watermark ? TimeOrNull(v.watermark->set_at) : ojson(nullptr)},
         {"streamed_through", v.streamed ? TimeOrNull(v.streamed->max_event_ts) : ojson(nullptr)},
         {"streamed_at", v.streamed ? TimeOrNull(v.streamed->updated_at) : ojson(nullptr)},
         {"lag_seconds", SecondsOrNull(v.lag_us)},
         {"pending_ingests", v.pending_ingests}});
  }
  for (const auto& s : freshness.streams) {
    ojson partitions = ojson::array();
    for (const auto& p : s.partitions) {
      partitions.push_back({{"topic", p.topic},
                            {"partition", p.partition},
                            {"next_offset", p.next_offset},
                            {"updated_at", TimeOrNull(p.updated_at)}});
    }
    streams.push_back({{"source", s.source},
                       {"topic", s.topic},
                       {"partitions", std::move(partitions)},
                       {"last_batch_at", TimeOrNull(s.last_batch_at)},
                       {"age_seconds", SecondsOrNull(s.age_us)}});
  }
  return {{"now", core::FormatTimestamp(freshness.now)},
          {"views", std::move(views)},
          {"streams", std::move(streams)}};
}

}  // namespace fst::retrieval
