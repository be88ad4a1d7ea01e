// The stream loop: poll a micro-batch -> decode (a message that does not decode is set aside as
// an undecoded input of the run) -> IngestTable (contract, quarantine, breaker, sorted parts):
// the good rows applied to the online store with its positions in one write, then the parts
// published with the offline positions in one registry transaction (for publishes deferred
// over several micro-batches, on the publisher's thread). Why this neither loses nor repeats
// an event on either side: docs/impl.md "Streams".
#include "featherstone/ingest/stream_run.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "featherstone/connectors/json_messages.h"
#include "featherstone/connectors/kafka_consumer.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/breaker.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/offline/part_file.h"
#include "kill_point.h"
#include "stream_publisher.h"

namespace fst::ingest {

namespace internal {
core::Schema NullableSchema(const definitions::Source& source);  // push.cc
}  // namespace internal

namespace {

using Clock = std::chrono::steady_clock;

// How long joining a group may take beyond a crashed member's session timeout.
constexpr int64_t kJoinGraceMs = 3000;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// The bad share over about the last `size` events, 0 until `min_events` were seen.
class BreakerWindow {
 public:
  BreakerWindow(int64_t size, int64_t min_events) : size_(size), min_events_(min_events) {}

  double Add(int64_t bad, int64_t rows) {
    batches_.push_back({bad, rows});
    bad_ += bad;
    rows_ += rows;
    seen_ += rows;
    while (batches_.size() > 1 && rows_ - batches_.front().second >= size_) {
      bad_ -= batches_.front().first;
      rows_ -= batches_.front().second;
      batches_.pop_front();
    }
    if (seen_ < min_events_ || rows_ == 0) return 0;
    return static_cast<double>(bad_) / static_cast<double>(rows_);
  }

 private:
  int64_t size_;
  int64_t min_events_;
  std::deque<std::pair<int64_t, int64_t>> batches_;  // (bad, rows), oldest first
  int64_t bad_ = 0;
  int64_t rows_ = 0;
  int64_t seen_ = 0;
};

using Ranges = std::map<int32_t, std::pair<int64_t, int64_t>>;  // partition -> first, last offset

// "topic 'orders' 0:10-19 3:7-7": the positions of a micro-batch, for records and messages.
std::string Describe(const std::string& topic, const Ranges& ranges) {
  std::string out = registry::kStreamInputPrefix + topic + "'";
  for (const auto& [partition, range] : ranges) {
    out += " " + std::to_string(partition) + ":" + std::to_string(range.first) + "-" +
           std::to_string(range.second);
  }
  return out;
}

// The topic as OpenLineage names a Kafka dataset: namespace kafka://HOST:PORT (the first
// bootstrap server), name the topic.
lineage::Dataset TopicDataset(const definitions::Source& source) {
  const std::string& servers = source.bootstrap_servers;
  return {"kafka://" + servers.substr(0, servers.find(',')), source.topic};
}

void AddRange(const connectors::KafkaMessage& message, Ranges* ranges) {
  auto [it, added] = ranges->try_emplace(message.partition(), message.offset(), message.offset());
  if (!added) it->second.second = std::max(it->second.second, message.offset());
}

// The messages of a micro-batch (or of several) decoded into one batch of rows.
struct DecodedGroup {
  std::shared_ptr<arrow::RecordBatch> batch;
  Ranges ranges;
  std::vector<std::pair<int32_t, int64_t>> row_position;  // decoded row -> partition, offset
  std::vector<UndecodedInput> undecoded;                  // messages that did not decode
};

Result<DecodedGroup> DecodeGroup(connectors::JsonMessageDecoder& decoder, const std::string& topic,
                                 const std::vector<const connectors::KafkaMessage*>& group) {
  DecodedGroup decoded;
  for (const auto* message : group) {
    AddRange(*message, &decoded.ranges);
    Status status = decoder.Add(message->payload(), [&] {
      return "topic '" + topic + "' partition " + std::to_string(message->partition()) +
             " offset " + std::to_string(message->offset());
    });
    if (status.ok()) {
      decoded.row_position.emplace_back(message->partition(), message->offset());
    } else {
      decoded.undecoded.push_back({std::string(message->payload()), status.message()});
    }
  }
  FST_ASSIGN_OR_RAISE(decoded.batch, decoder.Finish());
  KillPoint("stream.decoded");
  return decoded;
}

// The positions a publish of `ranges` moves: each partition from where `recorded` has it
// (-1: nowhere) to after its last offset.
std::vector<registry::StreamOffset> OffsetsFrom(const std::map<int32_t, int64_t>& recorded,
                                                const std::string& topic, const Ranges& ranges) {
  std::vector<registry::StreamOffset> offsets;
  for (const auto& [partition, range] : ranges) {
    auto it = recorded.find(partition);
    offsets.push_back({topic, partition, it == recorded.end() ? -1 : it->second, range.second + 1});
  }
  return offsets;
}

// One ingest run of a decoded group (its undecoded inputs are moved into the run), part of
// the stream's OpenLineage run; `options` says what the run does with the rows. Returns its
// result and how it names its input.
Result<std::pair<IngestResult, std::string>> IngestDecoded(repo::RepoContext& repo,
                                                           const std::string& source_name,
                                                           const std::string& topic,
                                                           DecodedGroup& decoded,
                                                           IngestOptions options) {
  options.per_event = true;
  options.lineage_run = false;  // part of the stream's run
  options.verdicts_as_results = true;
  options.now_us = core::NowMicros();
  options.undecoded = std::move(decoded.undecoded);
  FST_ASSIGN_OR_RAISE(auto reader,
                      arrow::RecordBatchReader::Make({decoded.batch}, decoded.batch->schema()));
  std::string what = Describe(topic, decoded.ranges);
  FST_ASSIGN_OR_RAISE(auto result,
                      IngestTable(repo, source_name, std::move(reader), what, options));
  return std::make_pair(std::move(result), std::move(what));
}

Result<StreamStats> Consume(repo::RepoContext& repo, const definitions::Source* source,
                            const StreamOptions& options);

}  // namespace

// One OpenLineage run "stream.SOURCE" per invocation (docs/lineage.md), not one per
// micro-batch: batches end every few milliseconds, and the invocation is what a scheduler
// starts, stops and sees fail (an open breaker stops it whole). Each micro-batch's contract
// run is in the quality history; the input facets of the run are those of the last one.
Result<StreamStats> RunStream(repo::RepoContext& repo, const std::string& source_name,
                              const StreamOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  if (source->kind != "kafka") {
    return Status::Invalid("source '", source_name, "' is of kind '", source->kind,
                           "'; `stream` reads sources of kind kafka (use `ingest` for files, "
                           "`push` for pushed events)");
  }
  lineage::Dataset input = TopicDataset(*source);
  lineage::Dataset output{repo.project(), "offline/" + source_name};
  const int64_t began = core::NowMicros();
  lineage::LineageRun run(repo.lineage(), "stream." + source_name, {input}, {output});
  auto stats = Consume(repo, source, options);
  if (source->contract.has_value()) {
    auto last = repo.registry().ListQualityRuns(source_name, 1);
    if (last.ok() && !last->empty() && last->front().run_at >= began) {
      input.input_facets = lineage::QualityFacets(
          nlohmann::json::parse(last->front().metrics_json, nullptr, false),
          nlohmann::json::parse(last->front().result_json, nullptr, false));
    }
  }
  if (!stats.ok()) {
    run.Fail(stats.status().message(), {input});
    return stats;
  }
  output.output_facets = lineage::OutputStatistics(stats->written);
  run.Complete(stats->written, {input}, {output});
  return stats;
}

namespace {

Result<StreamStats> Consume(repo::RepoContext& repo, const definitions::Source* source,
                            const StreamOptions& options) {
  const std::string& source_name = source->name;
  // An open breaker refuses the run before anything is consumed.
  FST_RETURN_NOT_OK(AdmitRun(repo, *source, core::NowMicros()).status());

  const std::string topic = source->topic;
  std::map<int32_t, int64_t> recorded;  // partition -> offline next offset (-1 = none)
  std::map<int32_t, int64_t> online_next;  // partition -> online next offset (absent = none)
  const bool online = static_cast<bool>(options.online.apply);
  auto offline_positions = [&]() -> Result<std::map<int32_t, int64_t>> {
    FST_ASSIGN_OR_RAISE(auto rows, repo.registry().ListStreamOffsets(source_name));
    std::map<int32_t, int64_t> next;
    for (const auto& row : rows) {
      if (row.topic == topic) next[row.partition] = row.next_offset;
    }
    return next;
  };
  if (online) {
    FST_ASSIGN_OR_RAISE(auto positions, options.online.positions(topic));
    if (positions.has_value()) {
      online_next = std::move(*positions);
    } else {
      // No online positions (a new online store, or one written by materialize alone): the
      // online rows are rebuilt from the offline store, which then holds every recorded event.
      FST_ASSIGN_OR_RAISE(online_next, offline_positions());
      FST_RETURN_NOT_OK(options.online.adopt(topic, online_next));
    }
  }
  // A side needs an event at or after its next offset (none stored: every event).
  auto needs = [](const std::map<int32_t, int64_t>& next, int32_t partition, int64_t offset) {
    auto it = next.find(partition);
    return it == next.end() || offset >= it->second;
  };
  StreamStats stats;
  const bool deferred = options.publish_events > 1 || options.publish_ms > 0;
  // Deferred offline publishes run on the publisher's thread (stream_publisher.h) with a
  // registry connection and a decoder of their own, over the definitions of this run.
  std::unique_ptr<repo::RepoContext> publish_repo;
  std::unique_ptr<connectors::JsonMessageDecoder> publish_decoder;
  std::atomic<int64_t> published_rows{0}, published_quarantined{0}, published_undecoded{0};
  if (deferred) {
    // The store files stay on the file system of `repo` (which outlives the publisher).
    std::shared_ptr<arrow::fs::FileSystem> fs(std::shared_ptr<void>(), &repo.fs());
    FST_ASSIGN_OR_RAISE(publish_repo, repo::RepoContext::Open(repo.dir(), std::move(fs)));
    FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
    publish_repo->UseDefinitions(*applied);
    publish_decoder =
        std::make_unique<connectors::JsonMessageDecoder>(internal::NullableSchema(*source));
  }
  auto publish = [&](const internal::PublishJob& job) -> Status {
    std::vector<const connectors::KafkaMessage*> group;
    group.reserve(job.messages.size());
    for (const auto& message : job.messages) group.push_back(&message);
    FST_ASSIGN_OR_RAISE(DecodedGroup decoded, DecodeGroup(*publish_decoder, topic, group));
    const int64_t undecoded = static_cast<int64_t>(decoded.undecoded.size());
    // The events were judged (and the breaker fed) per micro-batch: never rejected now.
    IngestOptions ingest_options;
    ingest_options.judged = true;
    ingest_options.breaker_share = [](int64_t, int64_t) { return 0.0; };
    ingest_options.stream_offsets = job.offsets;
    FST_ASSIGN_OR_RAISE(auto run, IngestDecoded(*publish_repo, source_name, topic, decoded,
                                                std::move(ingest_options)));
    published_rows += run.first.rows;
    published_quarantined += run.first.rows_quarantined;
    published_undecoded += undecoded;
    return Status::OK();
  };
  // Set once the consumer is open (declared after it, so that the messages it holds are
  // released before the consumer is destroyed).
  internal::StreamPublisher* publisher = nullptr;
  connectors::KafkaConsumerOptions consumer_options;
  consumer_options.bootstrap_servers = source->bootstrap_servers;
  consumer_options.topic = topic;
  consumer_options.group = source->KafkaGroup();
  consumer_options.session_timeout_ms = options.session_timeout_ms;
  consumer_options.start_offset = [&](int32_t partition) -> Result<int64_t> {
    // Events handed to the publisher are read again from the registry's positions, read once
    // the publish in progress is done.
    if (publisher != nullptr) stats.events -= publisher->Drop();
    FST_ASSIGN_OR_RAISE(auto stored, offline_positions());
    auto it = stored.find(partition);
    int64_t next = it == stored.end() ? -1 : it->second;
    recorded[partition] = next;
    // Each side resumes from its own position: consume from the earlier one.
    if (online) {
      auto on = online_next.find(partition);
      next = on == online_next.end() ? -1 : std::min(next, on->second);
    }
    return next;
  };
  FST_ASSIGN_OR_RAISE(auto consumer, connectors::KafkaConsumer::Open(consumer_options));
  std::unique_ptr<internal::StreamPublisher> publisher_thread;
  if (deferred) {
    // One job waits while another is published: a bounded backlog of judged events.
    publisher_thread = std::make_unique<internal::StreamPublisher>(publish, 1);
    publisher = publisher_thread.get();
  }
  // The totals, with the publisher's so far.
  auto totals = [&] {
    StreamStats out = stats;
    out.written += published_rows.load();
    out.quarantined += published_quarantined.load();
    out.undecoded += published_undecoded.load();
    return out;
  };

  const auto started = Clock::now();
  auto last_event = started;
  auto last_progress = started;
  BreakerWindow window(std::max<int64_t>(options.breaker_window, 1), options.breaker_min_events);
  connectors::JsonMessageDecoder decoder(internal::NullableSchema(*source));
  std::vector<connectors::KafkaMessage> messages;
  auto report = [&](bool force) {
    if (!options.progress) return;
    if (!force && MillisSince(last_progress) < options.progress_ms) return;
    last_progress = Clock::now();
    stats.seconds = static_cast<double>(MillisSince(started)) / 1000.0;
    stats.warning = consumer->last_warning();
    int64_t lag = -1;
    for (int32_t partition : consumer->assigned()) {
      auto it = recorded.find(partition);
      const int64_t part_lag = consumer->Lag(partition, it == recorded.end() ? 0 : it->second);
      if (part_lag >= 0) lag = std::max<int64_t>(lag, 0) + part_lag;
    }
    stats.lag = lag;
    options.progress(totals());
  };

  // Ingests `group` (messages of one micro-batch) as one run. publish: the offline side needs
  // them (their positions go to the registry with the rows); else only the online side does.
  // The online side applies the good rows it has not applied yet, with its new positions,
  // before the publish.
  int64_t online_done_us = 0;
  // Modes: kJudge runs the contract (and the online side) without publishing; kPublish also
  // publishes; kRecordRejected records a micro-batch judged rejected before (its verdict
  // again, the breaker not fed twice). Events judged before are published by the publisher.
  enum class Mode { kJudge, kPublish, kRecordRejected };
  auto ingest_group = [&](const std::vector<const connectors::KafkaMessage*>& group,
                          Mode mode) -> Result<std::pair<IngestResult, std::string>> {
    const bool publish = mode != Mode::kJudge;
    FST_ASSIGN_OR_RAISE(DecodedGroup decoded, DecodeGroup(decoder, topic, group));
    const auto& ranges = decoded.ranges;
    const auto& row_position = decoded.row_position;
    const int64_t undecoded = static_cast<int64_t>(decoded.undecoded.size());
    IngestOptions ingest_options;
    ingest_options.publish = publish;
    ingest_options.breaker_share = [&](int64_t bad, int64_t rows) {
      return mode == Mode::kRecordRejected ? 0.0 : window.Add(bad, rows);
    };
    if (publish) ingest_options.stream_offsets = OffsetsFrom(recorded, topic, ranges);
    if (online && mode != Mode::kRecordRejected) {
      ingest_options.before_publish =
          [&](const std::vector<std::shared_ptr<arrow::RecordBatch>>& good) -> Status {
        std::map<int32_t, int64_t> next = online_next;
        bool moved = false;
        for (const auto& [partition, range] : ranges) {
          if (!needs(online_next, partition, range.second)) continue;
          next[partition] = range.second + 1;
          moved = true;
        }
        if (!moved) return Status::OK();
        // Rows the online side applied before (a crash after its write, before the publish).
        std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
        for (const auto& rows_batch : good) {
          auto seq = rows_batch->GetColumnByName(offline::kSeqColumn);
          const int64_t* raw = seq->data()->GetValues<int64_t>(1);
          arrow::Int64Builder wanted;
          for (int64_t i = 0; i < rows_batch->num_rows(); ++i) {
            const auto& [partition, offset] = row_position[static_cast<size_t>(raw[i] & 0xffffffff)];
            if (needs(online_next, partition, offset)) FST_RETURN_NOT_OK(wanted.Append(i));
          }
          if (wanted.length() == rows_batch->num_rows()) {
            rows.push_back(rows_batch);
            continue;
          }
          FST_ASSIGN_OR_RAISE(auto indices, wanted.Finish());
          FST_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(rows_batch, indices));
          rows.push_back(taken.record_batch());
        }
        KillPoint("stream.before_online_write");
        FST_RETURN_NOT_OK(options.online.apply(rows, topic, next));
        online_next = std::move(next);
        online_done_us = core::NowMicros();
        KillPoint("stream.online_written");
        return Status::OK();
      };
    }
    const std::vector<registry::StreamOffset> offsets = ingest_options.stream_offsets;
    FST_ASSIGN_OR_RAISE(auto ingested, IngestDecoded(repo, source_name, topic, decoded,
                                                     std::move(ingest_options)));
    if (publish && !ingested.first.breaker_opened) {
      for (const auto& offset : offsets) recorded[offset.partition] = offset.next_offset;
    }
    if (publish) stats.undecoded += undecoded;
    return ingested;
  };

  uint64_t generation = consumer->generation();
  // After another member published positions first: start again from the registry's.
  // Events waiting for the offline publish are dropped (read again from there).
  std::vector<connectors::KafkaMessage> pending;  // judged, waiting for the offline publish
  auto pending_since = Clock::now();
  // Events dropped from the publish are read again: they no longer count as streamed.
  auto drop_pending = [&] {
    stats.events -= static_cast<int64_t>(pending.size());
    pending.clear();
    if (publisher != nullptr) stats.events -= publisher->Drop();
  };
  auto restart = [&]() -> Result<bool> {
    drop_pending();
    FST_RETURN_NOT_OK(consumer->Reposition());
    generation = consumer->generation();
    return true;
  };
  auto publish_due = [&] {
    if (pending.empty()) return false;
    return (options.publish_events > 0 &&
            static_cast<int64_t>(pending.size()) >= options.publish_events) ||
           (options.publish_ms > 0 && MillisSince(pending_since) >= options.publish_ms);
  };
  // What became of the publishes handed over: true when one lost its compare-and-set (another
  // member published first) and the consumer restarted from the registry's positions; the
  // error of a publish that failed. `wait`: once every publish handed over is done.
  auto published = [&](bool wait) -> Result<bool> {
    if (publisher == nullptr) return false;
    Status status = wait ? publisher->Wait() : publisher->error();
    if (status.IsCancelled()) return restart();
    FST_RETURN_NOT_OK(status);
    return false;
  };
  // Hands the events waiting for the offline publish to the publisher, as one ingest run that
  // moves their positions on from where the publishes before it leave them; true when the
  // consumer restarted instead (see `published`).
  auto flush = [&]() -> Result<bool> {
    if (pending.empty()) return false;
    Ranges ranges;
    for (const auto& message : pending) AddRange(message, &ranges);
    internal::PublishJob job;
    job.offsets = OffsetsFrom(recorded, topic, ranges);
    for (const auto& offset : job.offsets) recorded[offset.partition] = offset.next_offset;
    job.messages = std::move(pending);
    pending.clear();
    publisher->Add(std::move(job));
    return published(false);
  };
  std::vector<const connectors::KafkaMessage*> offline_group, online_group;
  while (true) {
    if (options.stop != nullptr && options.stop->load()) break;
    if (options.max_events > 0 && stats.events >= options.max_events) break;
    size_t limit = static_cast<size_t>(std::max<int64_t>(options.batch_events, 1));
    if (options.max_events > 0) {
      limit = std::min<size_t>(limit, static_cast<size_t>(options.max_events - stats.events));
    }
    messages.clear();
    FST_RETURN_NOT_OK(consumer->Poll(limit, std::max(options.batch_ms, 1), &messages));
    if (consumer->generation() != generation) {
      // A rebalance: partitions restart at their recorded positions (events waiting for the
      // publish are read again from there); so does the idle clock.
      generation = consumer->generation();
      last_event = Clock::now();
      drop_pending();
    }
    {
      FST_ASSIGN_OR_RAISE(bool repositioned, published(false));
      if (!repositioned && deferred && publish_due()) {
        FST_ASSIGN_OR_RAISE(repositioned, flush());
      }
      if (repositioned) continue;
    }
    if (messages.empty()) {
      report(false);
      // Without partitions the group may be waiting for a crashed member's session to expire.
      const int64_t idle_limit =
          options.until_idle_ms +
          (consumer->assigned().empty() ? options.session_timeout_ms + kJoinGraceMs : 0);
      if (options.until_idle_ms > 0 && MillisSince(last_event) >= idle_limit) break;
      continue;
    }
    last_event = Clock::now();

    // Events the offline store holds already but the online store does not (it is behind
    // after a restore) are judged again for the online side only, without a record.
    offline_group.clear();
    online_group.clear();
    for (const auto& message : messages) {
      if (needs(recorded, message.partition(), message.offset())) {
        offline_group.push_back(&message);
      } else if (online && needs(online_next, message.partition(), message.offset())) {
        online_group.push_back(&message);
      }
    }
    online_done_us = 0;
    int64_t batch_written = 0;
    int64_t batch_quarantined = 0;
    bool repositioned = false;
    if (deferred) {
      // The contract judges the micro-batch and the online side applies it now; its events
      // wait for the next offline publish. A rejected micro-batch is recorded at once, after
      // the publish of the events before it.
      std::vector<const connectors::KafkaMessage*> judged = online_group;
      judged.insert(judged.end(), offline_group.begin(), offline_group.end());
      auto verdict = ingest_group(judged, Mode::kJudge);
      FST_RETURN_NOT_OK(verdict.status());
      const auto& [result, what] = *verdict;
      if (result.breaker_opened) {
        FST_RETURN_NOT_OK(flush().status());
        FST_RETURN_NOT_OK(published(true).status());
        report(true);
        return Status::Invalid(result.verdict, "\nstopped after ", stats.events,
                               " events: nothing from ", what, " on was recorded; the next "
                               "`featherstone stream ", source_name, "` resumes there");
      }
      batch_written = result.rows;
      batch_quarantined = result.rows_quarantined;
      if (!result.verdict.empty()) {
        FST_ASSIGN_OR_RAISE(repositioned, flush());
        // The rejected run's positions follow the publishes before it.
        if (!repositioned) {
          FST_ASSIGN_OR_RAISE(repositioned, published(true));
        }
        if (!repositioned && !offline_group.empty()) {
          auto rejected = ingest_group(offline_group, Mode::kRecordRejected);
          if (!rejected.ok() && rejected.status().IsCancelled()) {
            FST_ASSIGN_OR_RAISE(repositioned, restart());
          } else {
            FST_RETURN_NOT_OK(rejected.status());
            stats.rejected += static_cast<int64_t>(offline_group.size());
          }
        }
      } else {
        if (pending.empty()) pending_since = Clock::now();
        for (const auto* message : offline_group) pending.push_back(*message);
      }
      if (!repositioned && publish_due()) {
        FST_ASSIGN_OR_RAISE(repositioned, flush());
      }
    } else {
      for (bool publish : {false, true}) {
        const auto& group = publish ? offline_group : online_group;
        if (group.empty()) continue;
        auto ingested = ingest_group(group, publish ? Mode::kPublish : Mode::kJudge);
        if (!ingested.ok() && ingested.status().IsCancelled()) {
          FST_ASSIGN_OR_RAISE(repositioned, restart());
          break;
        }
        FST_RETURN_NOT_OK(ingested.status());
        const auto& [result, what] = *ingested;
        if (result.breaker_opened) {
          report(true);
          return Status::Invalid(result.verdict, "\nstopped after ", stats.events,
                                 " events: nothing from ", what, " on was recorded; the next "
                                 "`featherstone stream ", source_name, "` resumes there");
        }
        if (!publish) continue;
        batch_written = result.rows;
        batch_quarantined = result.rows_quarantined;
        stats.written += result.rows;
        stats.quarantined += result.rows_quarantined;
        if (!result.verdict.empty()) stats.rejected += static_cast<int64_t>(group.size());
      }
    }
    if (repositioned) continue;
    stats.events += static_cast<int64_t>(messages.size());
    ++stats.batches;
    if (options.on_batch) {
      Ranges ranges;
      for (const auto& message : messages) AddRange(message, &ranges);
      options.on_batch({topic, ranges, static_cast<int64_t>(messages.size()), batch_written,
                        batch_quarantined,
                        online_done_us != 0 ? online_done_us : core::NowMicros()});
    }
    report(false);
  }
  FST_RETURN_NOT_OK(flush().status());
  FST_RETURN_NOT_OK(published(true).status());
  publisher_thread.reset();  // its jobs' messages are released before the consumer closes
  publisher = nullptr;
  consumer->Close();
  report(true);
  stats.seconds = static_cast<double>(MillisSince(started)) / 1000.0;
  return totals();
}

}  // namespace

}  // namespace fst::ingest
