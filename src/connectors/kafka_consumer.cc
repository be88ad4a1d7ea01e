// librdkafka's high-level consumer with the eager rebalance protocol: on assignment each
// partition is assigned at the offset the caller's start_offset gives, so positions live with
// the data they produced and Kafka's committed offsets are never read or written.
#include "featherstone/connectors/kafka_consumer.h"

#include <chrono>
#include <librdkafka/rdkafka.h>

namespace fst::connectors {
namespace {

using Clock = std::chrono::steady_clock;

class RdKafkaConsumer : public KafkaConsumer {
 public:
  explicit RdKafkaConsumer(KafkaConsumerOptions options) : options_(std::move(options)) {}
  ~RdKafkaConsumer() override {
    Close();
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  Status Start();
  Status Poll(size_t max_messages, int max_wait_ms, std::vector<KafkaMessage>* out) override;
  uint64_t generation() const override { return generation_; }
  std::vector<int32_t> assigned() const override { return assigned_; }
  Status Reposition() override;
  int64_t Lag(int32_t partition, int64_t next_offset) const override;
  std::string last_warning() const override { return warning_; }
  void Close() override {
    if (rk_ != nullptr && !closed_) {
      closed_ = true;
      rd_kafka_consumer_close(rk_);
    }
  }

 private:
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  // Broker errors (librdkafka retries them itself) become the warning, until messages or an
  // assignment come again.
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  // Assigns `partitions` at the offsets start_offset gives.
  Status Assign(rd_kafka_topic_partition_list_t* partitions);

  KafkaConsumerOptions options_;
  rd_kafka_t* rk_ = nullptr;
  bool closed_ = false;
  uint64_t generation_ = 0;
  std::vector<int32_t> assigned_;
  std::string warning_;
  bool unreachable_ = false;  // every broker was down since the last message or assignment
  Status callback_error_;  // an error raised inside the rebalance callback
};

Status RdKafkaConsumer::Start() {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", options_.bootstrap_servers},
      {"group.id", options_.group},
      {"client.id", "featherstone"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"session.timeout.ms", std::to_string(options_.session_timeout_ms)},
      {"heartbeat.interval.ms", std::to_string(std::max(options_.session_timeout_ms / 3, 100))},
      {"partition.assignment.strategy", "range"},
      {"fetch.wait.max.ms", "5"},
      {"log_level", "3"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::Invalid("kafka setting ", key, "=", value, ": ", errstr);
    }
  }
  rd_kafka_conf_set_rebalance_cb(conf, &RdKafkaConsumer::OnRebalance);
  rd_kafka_conf_set_error_cb(conf, &RdKafkaConsumer::OnError);
  rd_kafka_conf_set_opaque(conf, this);
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::IOError("kafka consumer for ", options_.bootstrap_servers, ": ", errstr);
  }
  rd_kafka_poll_set_consumer(rk_);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError("kafka: subscribing to topic '", options_.topic, "': ",
                           rd_kafka_err2str(err));
  }
  return Status::OK();
}

void RdKafkaConsumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<RdKafkaConsumer*>(opaque);
  ++self->generation_;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Status status = self->Assign(partitions);
    if (!status.ok()) {
      self->callback_error_ = status;
      rd_kafka_assign(rk, nullptr);
      self->assigned_.clear();
    }
    return;
  }
  rd_kafka_assign(rk, nullptr);
  self->assigned_.clear();
}

void RdKafkaConsumer::OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* self = static_cast<RdKafkaConsumer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->unreachable_ = true;
  self->warning_ = self->unreachable_ ? std::string("broker unreachable, waiting for it: ") + reason
                                      : std::string(reason);
}

Status RdKafkaConsumer::Assign(rd_kafka_topic_partition_list_t* partitions) {
  std::vector<int32_t> assigned;
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& p = partitions->elems[i];
    FST_ASSIGN_OR_RAISE(const int64_t start, options_.start_offset(p.partition));
    p.offset = start < 0 ? RD_KAFKA_OFFSET_BEGINNING : start;
    assigned.push_back(p.partition);
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(rk_, partitions);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError("kafka: assigning partitions of '", options_.topic, "': ",
                           rd_kafka_err2str(err));
  }
  assigned_ = std::move(assigned);
  unreachable_ = false;
  warning_.clear();
  return Status::OK();
}

Status RdKafkaConsumer::Reposition() {
  ++generation_;
  if (assigned_.empty()) return Status::OK();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(assigned_.size()));
  for (int32_t partition : assigned_) {
    rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), partition);
  }
  Status status = Assign(list);
  rd_kafka_topic_partition_list_destroy(list);
  return status;
}

Status RdKafkaConsumer::Poll(size_t max_messages, int max_wait_ms,
                             std::vector<KafkaMessage>* out) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(max_wait_ms);
  // While messages are queued they are taken without waiting, and the clock is read every
  // kClockEvery messages rather than twice per message.
  constexpr size_t kClockEvery = 64;
  bool queued = false;  // the last poll returned a message
  size_t taken = 0;
  while (out->size() < max_messages) {
    int wait_ms = 0;
    if (!queued) {
      // Rounded up: less than a millisecond left waits one, rather than polling without a
      // wait until the deadline passes (a busy loop on the clock).
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
    }
    const uint64_t before = generation_;
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, wait_ms);
    queued = message != nullptr;
    if (!callback_error_.ok()) {
      if (message != nullptr) rd_kafka_message_destroy(message);
      return callback_error_;
    }
    if (generation_ != before) out->clear();
    if (message == nullptr) {
      if (Clock::now() >= deadline) break;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      char reason[512];
      if (rd_kafka_fatal_error(rk_, reason, sizeof(reason)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_message_destroy(message);
        return Status::IOError("kafka: fatal consumer error: ", reason);
      }
      warning_ = rd_kafka_message_errstr(message);
      rd_kafka_message_destroy(message);
      continue;
    }
    if (!warning_.empty()) {  // the broker delivers again
      unreachable_ = false;
      warning_.clear();
    }
    std::shared_ptr<void> handle(message, [](void* m) {
      rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(m));
    });
    out->emplace_back(message->partition, message->offset, std::move(handle),
                      std::string_view(static_cast<const char*>(message->payload), message->len));
    if (++taken % kClockEvery == 0 && Clock::now() >= deadline) break;
  }
  return Status::OK();
}

int64_t RdKafkaConsumer::Lag(int32_t partition, int64_t next_offset) const {
  int64_t low = -1;
  int64_t high = -1;
  if (rd_kafka_get_watermark_offsets(rk_, options_.topic.c_str(), partition, &low, &high) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0) {
    return -1;
  }
  return std::max<int64_t>(high - std::max(next_offset, low), 0);
}

}  // namespace

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Open(const KafkaConsumerOptions& options) {
  if (options.bootstrap_servers.empty()) return Status::Invalid("kafka: no bootstrap_servers");
  if (options.topic.empty()) return Status::Invalid("kafka: no topic");
  if (!options.start_offset) return Status::Invalid("kafka: no start_offset function");
  auto consumer = std::make_unique<RdKafkaConsumer>(options);
  FST_RETURN_NOT_OK(consumer->Start());
  return consumer;
}

}  // namespace fst::connectors
