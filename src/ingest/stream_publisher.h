// Publishes a stream's judged events to the offline store from a thread of its own, one job at
// a time in the order they were handed over, so the online side goes on while a part is
// written (docs/impl.md "Streams"). Internal to src/ingest.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "featherstone/connectors/kafka_consumer.h"
#include "featherstone/core/status.h"
#include "featherstone/registry/stream_offsets.h"

namespace fst::ingest::internal {

// One offline publish: the events of one or more micro-batches in consumption order, and the
// positions the publish moves (compare-and-set on where each partition was).
struct PublishJob {
  std::vector<connectors::KafkaMessage> messages;
  std::vector<registry::StreamOffset> offsets;
};

class StreamPublisher {
 public:
  // `publish` runs on the publisher's thread only, one job at a time, in order. At most
  // `capacity` jobs wait besides the one being published (Add waits beyond that).
  using Publish = std::function<Status(const PublishJob&)>;
  StreamPublisher(Publish publish, size_t capacity);
  // Drops the waiting jobs, waits for the one being published and joins the thread.
  ~StreamPublisher();
  StreamPublisher(const StreamPublisher&) = delete;
  StreamPublisher& operator=(const StreamPublisher&) = delete;

  // Hands `job` over, waiting while `capacity` jobs wait. After a job failed, nothing more is
  // published: later jobs are dropped (see Drop) until Drop clears a Cancelled error.
  void Add(PublishJob job);
  // Waits until no job waits or is being published; the error of a failed job (OK: none).
  Status Wait();
  // The error of a failed job so far, without waiting.
  Status error();
  // Drops the waiting jobs and waits for the one being published. Returns the events of the
  // jobs not published since the last Drop (dropped or failed), which the caller reads again
  // from the registry's positions. Clears a Cancelled error (another member published first:
  // answered by that reading); other errors stay.
  int64_t Drop();

 private:
  void Run();

  Publish publish_;
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<PublishJob> waiting_;
  bool busy_ = false;  // a job is being published
  bool stop_ = false;
  Status error_;
  int64_t unpublished_ = 0;  // events of jobs dropped or failed since the last Drop
  std::thread thread_;
};

}  // namespace fst::ingest::internal
