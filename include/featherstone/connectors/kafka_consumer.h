// A Kafka consumer in a consumer group (librdkafka): each partition of the topic goes to one
// member of the group; positions are the caller's (nothing is committed to Kafka), given as
// a function that says where each newly assigned partition starts. Not thread-safe: one
// thread polls. See docs/streaming.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::connectors {

struct KafkaConsumerOptions {
  std::string bootstrap_servers;
  std::string topic;
  std::string group;
  // Where an assigned partition starts: the next offset to read, or -1 for the earliest one.
  // Called from Poll when the group gives this member partitions.
  std::function<Result<int64_t>(int32_t partition)> start_offset;
  // The broker drops a member that stopped heartbeating after this long (a crashed worker's
  // partitions move to the others then). 6 s is the broker's default minimum.
  int session_timeout_ms = 6000;
};

// One consumed message; owns its payload.
class KafkaMessage {
 public:
  KafkaMessage(int32_t partition, int64_t offset, std::shared_ptr<void> handle,
               std::string_view payload)
      : partition_(partition), offset_(offset), handle_(std::move(handle)), payload_(payload) {}
  int32_t partition() const { return partition_; }
  int64_t offset() const { return offset_; }
  std::string_view payload() const { return payload_; }

 private:
  int32_t partition_;
  int64_t offset_;
  std::shared_ptr<void> handle_;  // the librdkafka message holding the payload
  std::string_view payload_;
};

class KafkaConsumer {
 public:
  // Creates the consumer and subscribes to the topic (the group is joined while polling).
  // Errors: Invalid for a bad setting, IOError when librdkafka refuses to start.
  static Result<std::unique_ptr<KafkaConsumer>> Open(const KafkaConsumerOptions& options);
  virtual ~KafkaConsumer() = default;

  // Appends messages to `out` until it holds `max_messages` or `max_wait_ms` passed.
  // Transient broker errors are kept in last_warning() and polling goes on.
  // Errors: IOError for a fatal consumer error; the error of start_offset.
  virtual Status Poll(size_t max_messages, int max_wait_ms, std::vector<KafkaMessage>* out) = 0;

  // Increases whenever partitions are assigned or revoked, or Reposition() ran: messages
  // polled before then must be dropped (each assigned partition restarts where start_offset
  // said).
  virtual uint64_t generation() const = 0;
  virtual std::vector<int32_t> assigned() const = 0;

  // Restarts every assigned partition where start_offset says now (after a lost race with
  // another member). Errors: those of start_offset; IOError from librdkafka.
  virtual Status Reposition() = 0;

  // Messages after `next_offset` in `partition`, from the latest high watermark seen (-1 when
  // none has been seen yet).
  virtual int64_t Lag(int32_t partition, int64_t next_offset) const = 0;

  // The latest transient error (e.g. the broker is unreachable), or "".
  virtual std::string last_warning() const = 0;

  // Leaves the group so its partitions move to other members at once.
  virtual void Close() = 0;
};

}  // namespace fst::connectors
