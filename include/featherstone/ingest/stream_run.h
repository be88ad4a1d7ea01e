// A stream worker: consumes a Kafka source in its consumer group and writes it through the one
// ingest path, one micro-batch at a time, exactly once into the offline store. See
// docs/streaming.md (what users see) and docs/impl.md "Streams" (why nothing is lost or
// written twice).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/record_batch.h>

#include "featherstone/repo/repo_context.h"

namespace fst::ingest {

struct StreamStats {
  int64_t events = 0;       // events consumed and recorded
  int64_t written = 0;      // rows written to the offline store
  int64_t quarantined = 0;  // events quarantined by the contract, or as undecodable
  int64_t undecoded = 0;    // messages that did not decode (quarantined, or rejected)
  int64_t rejected = 0;     // events of micro-batches refused by a reject_batch contract
  int64_t batches = 0;      // micro-batches recorded
  int64_t lag = -1;         // events in the topic after the recorded positions; -1 = unknown
  double seconds = 0;       // since the run began
  std::string warning;      // the latest transient consumer error, e.g. broker unreachable
};

// A micro-batch just recorded (and, with the online side, readable online).
struct StreamBatch {
  std::string topic;
  std::map<int32_t, std::pair<int64_t, int64_t>> offsets;  // partition -> first, last offset
  int64_t events = 0;
  int64_t written = 0;
  int64_t quarantined = 0;
  int64_t done_us = 0;  // wall clock (UTC µs) once readable online (offline only: recorded)
};

struct StreamOptions {
  int64_t max_events = 0;       // stop after this many events (0 = no limit)
  int64_t until_idle_ms = 0;    // stop after this long without events (0 = run until stopped)
  int64_t batch_events = 10'000;  // a micro-batch ends at this many events...
  int batch_ms = 10;              // ...or this long after it began, whichever comes first
  // The offline side publishes the judged events of several micro-batches as one part once
  // this many are waiting or the first has waited this long (and at the end of the run, and
  // before a rejected micro-batch is recorded). 0 and 0: every micro-batch is published
  // before the next is read.
  int64_t publish_events = 0;
  int64_t publish_ms = 0;
  // The breaker judges the share of bad events over about this many recent events, once at
  // least breaker_min_events were seen in the run.
  int64_t breaker_window = 1'000;
  int64_t breaker_min_events = 100;
  int session_timeout_ms = 6000;  // see connectors::KafkaConsumerOptions
  // The online side (retrieval::StreamOnline; unset: offline only). Each micro-batch's good
  // rows are applied to the online store before the offline publish, with the positions they
  // move the online side to in the same write; each side resumes from its own positions.
  struct Online {
    // partition -> next offset recorded with the online rows of `topic`; nullopt: none.
    std::function<Result<std::optional<std::map<int32_t, int64_t>>>(const std::string& topic)>
        positions;
    // Applies good rows (the source's columns and their offline sequence) and records `next`.
    std::function<Status(const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows,
                         const std::string& topic, const std::map<int32_t, int64_t>& next)>
        apply;
    // Rebuilds the online views from the offline store and records `next` (the offline
    // positions): when the online store holds no positions of the source.
    std::function<Status(const std::string& topic, const std::map<int32_t, int64_t>& next)>
        adopt;
  };
  Online online;
  // Called about every progress_ms with the totals so far (and once at the end).
  std::function<void(const StreamStats&)> progress;
  int64_t progress_ms = 1000;
  // Called after each micro-batch is recorded (and applied online), e.g. to log
  // freshness: an event is readable online from done_us on.
  std::function<void(const StreamBatch&)> on_batch;
  // Set (e.g. by a signal handler) to stop after the current micro-batch.
  const std::atomic<bool>* stop = nullptr;
};

// Runs the stream of `source` (kind kafka) until a limit in `options` is reached or `stop` is
// set; returns the totals. Each micro-batch's Kafka positions are recorded in the registry
// transaction that publishes its rows and quarantine; a new run resumes from them. Validation
// is per event (IngestOptions::per_event): a message that is not a JSON object of the schema
// is quarantined with its payload, the reason naming topic, partition, offset, column and
// value, and counts as bad for the breaker.
// Errors: KeyError for an unknown source; Invalid for a source of another kind, or the breaker
// (its message) when it is open or a micro-batch opens it — nothing past the last recorded
// micro-batch is recorded then; IOError from the consumer or the stores.
Result<StreamStats> RunStream(repo::RepoContext& repo, const std::string& source,
                              const StreamOptions& options);

}  // namespace fst::ingest
