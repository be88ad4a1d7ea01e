// `featherstone stream SOURCE`
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/stream_run.h"
#include "featherstone/retrieval/stream_online.h"

namespace fst::cli {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnSignal(int) { g_stop.store(true); }

struct Args {
  std::string source;
  int64_t max_events = 0;
  std::string until_idle;
  int64_t batch_events = 10'000;
  int batch_ms = 10;
  int64_t publish_events = 500'000;
  int64_t publish_ms = 5000;
  bool offline_only = false;
  std::string batch_log;
};

Status Run(const Globals& globals, const Args& args) {
  ingest::StreamOptions options;
  options.max_events = args.max_events;
  options.batch_events = args.batch_events;
  options.batch_ms = args.batch_ms;
  options.publish_events = args.publish_events;
  options.publish_ms = args.publish_ms;
  if (!args.until_idle.empty()) {
    auto idle = core::ParseDuration(args.until_idle);
    if (!idle.ok()) return Status::Invalid("--until-idle: ", idle.status().message());
    options.until_idle_ms = std::max<int64_t>(*idle / 1000, 1);
  }
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  std::unique_ptr<retrieval::StreamOnline> online;
  if (!args.offline_only) {
    FST_ASSIGN_OR_RAISE(online, retrieval::StreamOnline::Make(*repo, args.source));
    auto* side = online.get();
    options.online.positions =
        [side](const std::string& topic) -> Result<std::optional<std::map<int32_t, int64_t>>> {
      FST_ASSIGN_OR_RAISE(auto record, side->Record());
      if (!record.has_value() || record->topic != topic) {
        return std::optional<std::map<int32_t, int64_t>>();
      }
      return std::optional<std::map<int32_t, int64_t>>(std::move(record->next));
    };
    options.online.apply = [side](const std::vector<std::shared_ptr<arrow::RecordBatch>>& rows,
                                  const std::string& topic,
                                  const std::map<int32_t, int64_t>& next) -> Status {
      FST_ASSIGN_OR_RAISE(auto record, side->Record());
      retrieval::StreamRecord updated;
      if (record.has_value()) updated = std::move(*record);
      updated.topic = topic;
      updated.next = next;
      return side->Apply(rows, std::move(updated));
    };
    options.online.adopt = [side](const std::string& topic,
                                  const std::map<int32_t, int64_t>& next) -> Status {
      return side->Adopt({topic, next});
    };
  }
  int64_t last_events = 0;
  double last_seconds = 0;
  options.progress = [&](const ingest::StreamStats& s) {
    const double dt = s.seconds - last_seconds;
    const double rate = dt > 0 ? static_cast<double>(s.events - last_events) / dt : 0;
    last_events = s.events;
    last_seconds = s.seconds;
    std::fprintf(stderr,
                 "stream %s: %.1fs %lld events (%.0f/s), %lld written, %lld quarantined, "
                 "%lld rejected, lag %s%s%s\n",
                 args.source.c_str(), s.seconds, static_cast<long long>(s.events), rate,
                 static_cast<long long>(s.written), static_cast<long long>(s.quarantined),
                 static_cast<long long>(s.rejected),
                 s.lag < 0 ? "?" : std::to_string(s.lag).c_str(),
                 s.warning.empty() ? "" : "; kafka: ", s.warning.c_str());
  };
  std::ofstream batch_log;
  if (!args.batch_log.empty()) {
    batch_log.open(args.batch_log, std::ios::app);
    if (!batch_log) return Status::IOError(args.batch_log, ": cannot open for appending");
    options.on_batch = [&batch_log](const ingest::StreamBatch& b) {
      nlohmann::json offsets = nlohmann::json::object();
      for (const auto& [partition, range] : b.offsets) {
        offsets[std::to_string(partition)] = {range.first, range.second};
      }
      batch_log << nlohmann::json{{"done_us", b.done_us}, {"topic", b.topic},
                                  {"offsets", std::move(offsets)}, {"events", b.events},
                                  {"written", b.written}, {"quarantined", b.quarantined}}
                       .dump()
                << "\n" << std::flush;
    };
  }
  options.stop = &g_stop;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  FST_ASSIGN_OR_RAISE(auto stats, ingest::RunStream(*repo, args.source, options));
  if (online != nullptr) FST_RETURN_NOT_OK(online->SaveProgress());
  const std::string undecoded =
      stats.undecoded == 0 ? "" : " (" + std::to_string(stats.undecoded) + " undecodable)";
  std::printf("streamed %lld events from source '%s' in %lld micro-batches: %lld written, "
              "%lld quarantined%s, %lld rejected (%.2fs, %.0f events/s)\n",
              static_cast<long long>(stats.events), args.source.c_str(),
              static_cast<long long>(stats.batches), static_cast<long long>(stats.written),
              static_cast<long long>(stats.quarantined), undecoded.c_str(),
              static_cast<long long>(stats.rejected),
              stats.seconds,
              stats.seconds > 0 ? static_cast<double>(stats.events) / stats.seconds : 0);
  return Status::OK();
}

}  // namespace

void AddStreamCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "stream",
      "Consume a kafka source in its consumer group (each partition to one worker; start more "
      "`stream` processes to share a topic) and ingest it in micro-batches: the contract "
      "quarantines bad events (and a message that is not a JSON object of the schema, with its "
      "payload; see `featherstone quarantine show`), the circuit breaker stops the run when it opens, each "
      "micro-batch's events update the online store's rows exactly (with its Kafka positions "
      "in the same write), then it is published to the offline store exactly once together "
      "with its Kafka positions. A new run resumes each store where it was recorded. Progress goes to stderr every second; a summary to stdout.\n"
      "Example: featherstone -C shop stream orders --until-idle 5s");
  auto args = std::make_shared<Args>();
  cmd->add_option("source", args->source, "Source of kind kafka")->required();
  cmd->add_option("--max-events", args->max_events, "Stop after this many events");
  cmd->add_option("--until-idle", args->until_idle,
                  "Stop after this long without events (e.g. 2s); default: run until stopped");
  cmd->add_option("--batch-events", args->batch_events,
                  "Events per micro-batch at most (default 10000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-ms", args->batch_ms,
                  "Milliseconds a micro-batch waits for events at most (default 10)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--publish-events", args->publish_events,
                  "Publish an offline part once this many judged events wait (default 500000; "
                  "1 with --publish-ms 0: every micro-batch)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--publish-ms", args->publish_ms,
                  "...or once the first has waited this many milliseconds (default 5000)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--offline-only", args->offline_only,
                "Do not update the online store (workers sharing a repo with the one that does)");
  cmd->add_option("--batch-log", args->batch_log,
                  "Append one JSON line per recorded micro-batch to this file: done_us (when "
                  "its events became readable online), topic, offsets {partition: [first, "
                  "last]}, events, written, quarantined");
  cmd->callback([&globals, action, args] {
    *action = [&globals, args] { return Run(globals, *args); };
  });
}

}  // namespace fst::cli
