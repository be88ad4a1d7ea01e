#include "featherstone/lineage/emitter.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <nlohmann/json.hpp>

#include "featherstone/core/time.h"

namespace fst::lineage {
namespace {

// Appends `line` and a newline to `path` by one write (so concurrent writers never interleave
// inside a line), creating the file and its folder.
Status AppendLine(arrow::fs::FileSystem& fs, const std::string& path, const std::string& line) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  if (!parent.empty()) FST_RETURN_NOT_OK(fs.CreateDir(parent, /*recursive=*/true));
  FST_ASSIGN_OR_RAISE(auto out, fs.OpenAppendStream(path, nullptr));
  const std::string bytes = line + "\n";
  Status written = out->Write(bytes.data(), static_cast<int64_t>(bytes.size()));
  Status closed = out->Close();
  FST_RETURN_NOT_OK(written);
  return closed;
}

std::string Dump(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string Emitter::FailedPath(const std::string& repo_dir) {
  return repo_dir + "/.featherstone/lineage_failed.jsonl";
}

Status Emitter::CheckSettings(const definitions::LineageSettings& settings) {
  if (settings.http.empty()) return Status::OK();
  Status parsed = ParseHttpEndpoint(settings.http).status();
  if (parsed.ok()) return parsed;
  const std::string where = settings.http_location.ToString();
  return Status::Invalid(where.empty() ? "" : where + ": ", "lineage.http: ", parsed.message());
}

Result<std::unique_ptr<Emitter>> Emitter::Open(registry::Registry& registry,
                                               arrow::fs::FileSystem& fs,
                                               const std::string& repo_dir,
                                               const std::string& project,
                                               const definitions::LineageSettings& settings,
                                               EmitterOptions options) {
  std::unique_ptr<Emitter> emitter(new Emitter(registry, fs, project, options));
  emitter->failed_path_ = FailedPath(repo_dir);
  if (!settings.file.empty()) {
    const std::filesystem::path file(settings.file);
    emitter->file_ = (file.is_absolute() ? file : std::filesystem::path(repo_dir) / file)
                         .lexically_normal()
                         .string();
  }
  FST_RETURN_NOT_OK(CheckSettings(settings));
  if (!settings.http.empty()) {
    FST_ASSIGN_OR_RAISE(emitter->http_, ParseHttpEndpoint(settings.http));
    emitter->sender_ = std::thread([raw = emitter.get()] { raw->SendLoop(); });
  }
  return emitter;
}

Emitter::Emitter(registry::Registry& registry, arrow::fs::FileSystem& fs, std::string project,
                 EmitterOptions options)
    : registry_(registry), fs_(fs), project_(std::move(project)), options_(options) {}

Emitter::~Emitter() {
  if (!sender_.joinable()) return;
  Flush(options_.drain_ms);
  std::deque<std::string> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  changed_.notify_all();
  sender_.join();
  for (const auto& body : left) {
    RecordFailure("http", body, "not sent within " + std::to_string(options_.drain_ms) +
                                    " ms of the end of the process's runs");
  }
}

void Emitter::Emit(const RunEvent& event, int64_t rows) {
  const std::string json = Dump(ToJson(event));
  registry::LineageEventRecord record;
  record.run_id = event.run_id;
  record.job = event.job_name;
  record.event_type = event.event_type;
  record.event_time = event.event_time;
  record.rows = rows;
  record.error = event.error;
  record.event_json = json;
  Status recorded = registry_.RecordLineageEvent(record).status();
  if (!recorded.ok()) RecordFailure("registry", json, recorded.message());
  if (!file_.empty()) {
    Status appended = AppendLine(fs_, file_, json);
    if (!appended.ok()) RecordFailure("file", json, appended.message());
  }
  if (http_.has_value()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(json);
    }
    changed_.notify_all();
  }
}

void Emitter::Flush(int max_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, std::chrono::milliseconds(max_ms),
                    [&] { return queue_.empty() && !sending_; });
}

int64_t Emitter::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

void Emitter::SendLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    Status sent = Send(body);
    if (!sent.ok()) RecordFailure("http", body, sent.message());
    lock.lock();
    collector_down_ = !sent.ok();
    sending_ = false;
    changed_.notify_all();
  }
}

Status Emitter::Send(const std::string& body) {
  bool down;
  {
    std::lock_guard<std::mutex> lock(mu_);
    down = collector_down_;
  }
  // While the collector is down each event gets one try, so a backlog drains quickly.
  const int attempts = down ? 1 : std::max(options_.attempts, 1);
  int backoff_ms = options_.backoff_ms;
  Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      std::unique_lock<std::mutex> lock(mu_);
      if (changed_.wait_for(lock, std::chrono::milliseconds(backoff_ms),
                            [&] { return stopping_; })) {
        break;
      }
      backoff_ms = std::min(backoff_ms * 2, 1000);
    }
    last = HttpPost(*http_, body, options_.timeout_ms);
    if (last.ok()) return last;
  }
  return last;
}

void Emitter::RecordFailure(const std::string& sink, const std::string& event_json,
                            const std::string& error) {
  nlohmann::ordered_json line = {{"time", core::NowMicros()}, {"sink", sink}};
  const auto event = nlohmann::json::parse(event_json, nullptr, false);
  if (event.is_object()) {
    line["job"] = event.value(nlohmann::json::json_pointer("/job/name"), "");
    line["run_id"] = event.value(nlohmann::json::json_pointer("/run/runId"), "");
    line["event_type"] = event.value("eventType", "");
  }
  line["error"] = error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
  }
  // The failure file is the count `featherstone lineage` and /metrics report; if it cannot be
  // written either, only this process's count knows.
  (void)AppendLine(fs_, failed_path_, Dump(line));
}

int64_t CountFailedEvents(arrow::fs::FileSystem& fs, const std::string& repo_dir) {
  auto in = fs.OpenInputStream(Emitter::FailedPath(repo_dir));
  if (!in.ok()) return 0;
  int64_t lines = 0;
  while (true) {
    auto chunk = (*in)->Read(1 << 16);
    if (!chunk.ok() || (*chunk)->size() == 0) break;
    const auto* data = (*chunk)->data();
    lines += std::count(data, data + (*chunk)->size(), '\n');
  }
  return lines;
}

}  // namespace fst::lineage
