// Stream positions kept in the registry (docs/streaming.md, docs/impl.md "Streams"): for each
// (source, topic, partition), the next offset to consume. They are written only in the
// transaction that publishes the rows read before that offset, so the offline store and the
// positions never disagree.
#pragma once

#include <cstdint>
#include <string>

namespace fst::registry {

// How a stream micro-batch's ingest names its input (IngestRecord::input): this prefix, then
// the topic, then its positions ("topic 'orders' 0:10-19"). Its rows reached the online store
// through the stream itself, so `freshness` does not count it as waiting for materialize.
inline constexpr char kStreamInputPrefix[] = "topic '";

inline bool IsStreamInput(const std::string& input) {
  return input.rfind(kStreamInputPrefix, 0) == 0;
}

// The position one micro-batch moves a partition to.
struct StreamOffset {
  std::string topic;
  int32_t partition = 0;
  // The stored next offset this batch began from; -1 = none was stored. The write fails
  // (Status::Cancelled) unless the stored value still equals it, so two workers that both read
  // a partition around a rebalance cannot both publish the same events.
  int64_t expected = -1;
  int64_t next_offset = 0;
};

// A stored position.
struct StreamOffsetRow {
  std::string source;
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
  int64_t ingest_id = 0;   // the ingest (or rejected run) that moved it
  int64_t updated_at = 0;  // µs
};

}  // namespace fst::registry
