// How current the served data is (docs/lineage.md "Freshness"): per online feature view its
// watermark (the event time it is materialized up to) and lag, per stream source the positions
// its runs recorded and the age of the last one. `featherstone freshness` prints it; GET
// /api/freshness serves FreshnessJson.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

struct ViewFreshness {
  std::string view;
  std::string source;
  std::optional<registry::Watermark> watermark;  // none: never materialized
  // The source's stream progress: events up to this event time are in the online store
  // already (stream applies them itself); none when no stream has run.
  std::optional<registry::OnlineProgress> streamed;
  // now - the later of the watermark end and the streamed event time; -1 with neither.
  int64_t lag_us = -1;
  // Ingests of its source that wrote rows after the watermark's, other than a stream's own
  // micro-batches (whose rows the stream applied online).
  int64_t pending_ingests = 0;
};

struct StreamFreshness {
  std::string source;
  std::string topic;
  // Committed positions (the next offset per partition) as the registry holds them. The
  // broker's high watermarks are not stored, so the consumer lag in events is not known here
  // (`featherstone stream` prints it while running); the age of the last batch stands for it.
  std::vector<registry::StreamOffsetRow> partitions;
  int64_t last_batch_at = 0;  // µs; 0 = nothing consumed yet
  int64_t age_us = -1;        // now - last_batch_at; -1 when nothing was consumed
};

struct Freshness {
  int64_t now = 0;  // µs
  std::vector<ViewFreshness> views;      // online views, by name
  std::vector<StreamFreshness> streams;  // sources of kind kafka, by name
};

// Errors: those of Applied() and the registry.
Result<Freshness> GetFreshness(repo::RepoContext& repo, int64_t now);

// {now, views: [{view, source, watermark (time or null), materialized_at, streamed_through
// (time or null), streamed_at, lag_seconds, pending_ingests}], streams: [{source, topic, partitions: [{partition, next_offset,
// updated_at}], last_batch_at, age_seconds}]}.
nlohmann::ordered_json FreshnessJson(const Freshness& freshness);

}  // namespace fst::retrieval
