#include "featherstone/serving/feature_log.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include <pthread.h>

#include <arrow/buffer.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <fmt/format.h>

#include "featherstone/core/time.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::serving {
namespace {

constexpr char kTmp[] = ".tmp";

std::string Day(int64_t micros) { return core::FormatTimestamp(micros).substr(0, 10); }

// The number of "part-NNNNN.jsonl[.tmp]", or -1.
int PartNumber(const std::string& base_name) {
  int n = -1;
  if (std::sscanf(base_name.c_str(), "part-%d.jsonl", &n) != 1) return -1;
  return n;
}

// Turns a part a killed writer left as .tmp into a .jsonl holding its whole lines.
Status FinishStalePart(arrow::fs::FileSystem& fs, const std::string& tmp_path) {
  const std::string final_path = tmp_path.substr(0, tmp_path.size() - (sizeof(kTmp) - 1));
  FST_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(tmp_path));
  FST_ASSIGN_OR_RAISE(int64_t size, input->GetSize());
  FST_ASSIGN_OR_RAISE(auto buffer, input->ReadAt(0, size));
  FST_RETURN_NOT_OK(input->Close());
  const std::string_view text(reinterpret_cast<const char*>(buffer->data()),
                              static_cast<size_t>(buffer->size()));
  const size_t end = text.rfind('\n');
  if (end != std::string_view::npos) {
    FST_ASSIGN_OR_RAISE(auto output, fs.OpenOutputStream(final_path + kTmp + kTmp));
    FST_RETURN_NOT_OK(output->Write(text.data(), static_cast<int64_t>(end + 1)));
    FST_RETURN_NOT_OK(output->Close());
    FST_RETURN_NOT_OK(fs.Move(final_path + kTmp + kTmp, final_path));
  }
  return fs.DeleteFile(tmp_path);
}

}  // namespace

bool LogSampled(std::string_view request_id, double rate) {
  if (rate >= 1.0) return true;
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : request_id) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  // MurmurHash3's finalizer: ids differing in their last characters (consecutive request ids)
  // differ only in FNV-1a's low bits, which would sample runs of requests together.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ull;
  hash ^= hash >> 33;
  return static_cast<double>(hash >> 11) * 0x1.0p-53 < rate;
}

std::shared_ptr<const FeatureLogHeader> MakeFeatureLogHeader(
    std::string service, std::vector<std::string> features,
    std::vector<std::pair<std::string, std::string>> spec_hashes) {
  auto header = std::make_shared<FeatureLogHeader>();
  std::string& out = header->json;
  auto text = [&out](std::string_view value) { retrieval::AppendJsonString(value, &out); };
  out += "\"service\":";
  if (service.empty()) {
    out += "null";
  } else {
    text(service);
  }
  out += ",\"spec_hashes\":{";
  for (size_t i = 0; i < spec_hashes.size(); ++i) {
    if (i > 0) out += ',';
    text(spec_hashes[i].first);
    out += ':';
    text(spec_hashes[i].second);
  }
  out += "},\"features\":[";
  for (size_t i = 0; i < features.size(); ++i) {
    if (i > 0) out += ',';
    text(features[i]);
  }
  out += ']';
  header->service = std::move(service);
  header->features = std::move(features);
  header->spec_hashes = std::move(spec_hashes);
  return header;
}

void AppendFeatureLogLine(const FeatureLogRecord& record, std::string* out_text) {
  // Written as text rather than as a JSON tree: the writer thread formats every response.
  std::string& out = *out_text;
  const auto& rows = record.rows;
  const size_t keys = rows.key_columns;
  auto text = [&out](std::string_view value) { retrieval::AppendJsonString(value, &out); };
  auto value = [&out](const retrieval::OnlineValue& v) { retrieval::AppendJson(v, &out); };
  auto number = [&out](int64_t n) {
    const fmt::format_int digits(n);
    out.append(digits.data(), digits.size());
  };
  out += "{\"request_id\":";
  text(record.request_id);
  out += ",\"served_at_us\":";
  number(record.served_at_us);
  out += ",\"served_at\":\"";
  out += core::FormatTimestamp(record.served_at_us);
  out += "\",\"at_us\":";
  number(record.at_us);
  out += ',';
  out += record.header->json;
  out += ",\"feature_names\":[";
  for (size_t c = keys; c < rows.columns.size(); ++c) {
    if (c > keys) out += ',';
    text(rows.columns[c]);
  }
  out += "],\"entities\":[";
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    out += r > 0 ? ",{" : "{";
    for (size_t c = 0; c < keys; ++c) {
      if (c > 0) out += ',';
      text(rows.columns[c]);
      out += ':';
      value(rows.rows[r][c]);
    }
    out += '}';
  }
  out += ']';
  if (!record.requests.empty()) {
    out += ",\"request_data\":[";
    for (size_t r = 0; r < record.requests.size(); ++r) {
      out += r > 0 ? ",{" : "{";
      for (size_t f = 0; f < record.requests[r].size(); ++f) {
        if (f > 0) out += ',';
        text(record.requests[r][f].first);
        out += ':';
        text(record.requests[r][f].second);
      }
      out += '}';
    }
    out += ']';
  }
  // Per entity, per feature column.
  auto matrix = [&](const char* name, auto&& cell) {
    out += ",\"";
    out += name;
    out += "\":[";
    for (size_t r = 0; r < rows.rows.size(); ++r) {
      out += r > 0 ? ",[" : "[";
      for (size_t c = keys; c < rows.columns.size(); ++c) {
        if (c > keys) out += ',';
        cell(r, c);
      }
      out += ']';
    }
    out += ']';
  };
  matrix("values", [&](size_t r, size_t c) { value(rows.rows[r][c]); });
  matrix("statuses", [&](size_t r, size_t c) {
    out += '"';
    out += retrieval::FeatureStatusName(rows.statuses[r][c]);
    out += '"';
  });
  matrix("event_timestamps_us", [&](size_t r, size_t c) {
    const int64_t ts = rows.event_ts[r][c];
    number(ts == std::numeric_limits<int64_t>::min() ? 0 : ts);
  });
  out += "}\n";
}

std::string FeatureLogLine(const FeatureLogRecord& record) {
  std::string line;
  AppendFeatureLogLine(record, &line);
  line.pop_back();
  return line;
}

FeatureLog::FeatureLog(FeatureLogOptions options, std::shared_ptr<arrow::fs::FileSystem> fs)
    : options_(std::move(options)), fs_(std::move(fs)) {}

Result<std::unique_ptr<FeatureLog>> FeatureLog::Open(const FeatureLogOptions& options,
                                                     std::shared_ptr<arrow::fs::FileSystem> fs) {
  if (fs == nullptr) fs = std::make_shared<arrow::fs::LocalFileSystem>();
  FST_RETURN_NOT_OK(fs->CreateDir(options.dir, /*recursive=*/true));
  arrow::fs::FileSelector selector;
  selector.base_dir = options.dir;
  selector.recursive = true;
  FST_ASSIGN_OR_RAISE(auto infos, fs->GetFileInfo(selector));
  for (const auto& info : infos) {
    if (info.IsFile() && info.path().ends_with(std::string(".jsonl") + kTmp)) {
      FST_RETURN_NOT_OK(FinishStalePart(*fs, info.path()));
    }
  }
  std::unique_ptr<FeatureLog> log(new FeatureLog(options, std::move(fs)));
  // Named, so that top and perf tell the log's CPU from the request threads'.
  log->writer_ = std::thread([raw = log.get()] {
    pthread_setname_np(pthread_self(), "fst-log-writer");
    raw->WriterLoop();
  });
  if (options.publish) {
    log->publisher_ = std::thread([raw = log.get()] {
      pthread_setname_np(pthread_self(), "fst-log-publish");
      raw->PublisherLoop();
    });
  }
  return log;
}

FeatureLog::~FeatureLog() { Stop(); }

bool FeatureLog::Append(FeatureLogRecord record) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(record));
      queued_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void FeatureLog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    publish_stopping_ = true;
  }
  publish_wake_.notify_one();
  if (publisher_.joinable()) publisher_.join();
}

FeatureLogCounters FeatureLog::Counters() const {
  FeatureLogCounters c;
  c.queued = queued_.load(std::memory_order_relaxed);
  c.written = written_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.write_errors = write_errors_.load(std::memory_order_relaxed);
  c.sampled_out = sampled_out_.load(std::memory_order_relaxed);
  c.published_parts = published_parts_.load(std::memory_order_relaxed);
  c.publish_errors = publish_errors_.load(std::memory_order_relaxed);
  return c;
}

void FeatureLog::WriterLoop() {
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  // Kept across batches, so their memory is reused rather than faulted in for every batch.
  std::deque<FeatureLogRecord> batch;
  std::string text;
  while (true) {
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, interval, [this] { return stopping_; });
      batch.swap(queue_);
      stopping = stopping_;
    }
    const int64_t now = core::NowMicros();
    // Consecutive records of one day are written together, in writes of about kWriteBytes.
    constexpr size_t kWriteBytes = 1 << 20;
    constexpr int64_t kMicrosPerDay = 86'400'000'000;
    int64_t day_number = std::numeric_limits<int64_t>::min();
    std::string day;
    int64_t lines = 0;
    auto write = [&] {
      if (lines == 0) return;
      Status status = WriteLines(day, text, now);
      if (status.ok()) {
        written_.fetch_add(lines, std::memory_order_relaxed);
      } else {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        dropped_.fetch_add(lines, std::memory_order_relaxed);
        std::fprintf(stderr, "feature log: %s\n", status.ToString().c_str());
      }
      queued_.fetch_sub(lines, std::memory_order_relaxed);
      text.clear();
      lines = 0;
    };
    for (const auto& record : batch) {
      const int64_t served = record.served_at_us;
      const int64_t record_day = served / kMicrosPerDay - (served % kMicrosPerDay < 0 ? 1 : 0);
      if (record_day != day_number) {
        write();
        day_number = record_day;
        day = Day(served);
      }
      AppendFeatureLogLine(record, &text);
      ++lines;
      if (text.size() >= kWriteBytes) write();
    }
    write();
    batch.clear();
    if (part_ != nullptr && (part_bytes_ >= options_.rotate_bytes ||
                             now - part_opened_us_ >= options_.rotate_seconds * 1'000'000)) {
      if (Status status = ClosePart(); !status.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
      }
      WakePublisher();
    }
    if (stopping) {
      if (Status status = ClosePart(); !status.ok()) {
        write_errors_.fetch_add(1, std::memory_order_relaxed);
        std::fprintf(stderr, "feature log: %s\n", status.ToString().c_str());
      }
      return;
    }
  }
}

void FeatureLog::WakePublisher() {
  {
    std::lock_guard<std::mutex> lock(publish_mu_);
    publish_pending_ = true;
  }
  publish_wake_.notify_one();
}

void FeatureLog::PublisherLoop() {
  while (true) {
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(publish_mu_);
      publish_wake_.wait(lock, [this] { return publish_pending_ || publish_stopping_; });
      publish_pending_ = false;
      stopping = publish_stopping_;
    }
    // At the stop, after the writer sealed its last part.
    PublishSealed();
    if (stopping) return;
  }
}

void FeatureLog::PublishSealed() {
  if (!options_.publish) return;
  arrow::fs::FileSelector selector;
  selector.base_dir = options_.dir;
  selector.recursive = true;
  auto infos = fs_->GetFileInfo(selector);
  std::vector<std::string> sealed;
  if (infos.ok()) {
    for (const auto& info : *infos) {
      // part-NNNNN.jsonl; not the open part's .tmp, nor the .kept.jsonl a publisher leaves.
      const std::string name = info.base_name();
      if (info.IsFile() && PartNumber(name) >= 0 && name.ends_with(".jsonl") &&
          name.find('.') == name.size() - 6) {
        sealed.push_back(info.path());
      }
    }
  }
  std::sort(sealed.begin(), sealed.end());
  Status status = infos.status();
  for (const auto& path : sealed) {
    if (!status.ok()) break;
    status = options_.publish(path);
    if (status.ok()) published_parts_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!status.ok()) {
    publish_errors_.fetch_add(1, std::memory_order_relaxed);
    std::fprintf(stderr, "feature log: publishing a part: %s\n", status.ToString().c_str());
  }
}

Status FeatureLog::WriteLines(const std::string& day, const std::string& text, int64_t now_us) {
  if (part_ != nullptr && part_day_ != day) FST_RETURN_NOT_OK(ClosePart());
  if (part_ == nullptr) {
    const std::string folder = options_.dir + "/" + day;
    FST_RETURN_NOT_OK(fs_->CreateDir(folder, /*recursive=*/true));
    arrow::fs::FileSelector selector;
    selector.base_dir = folder;
    FST_ASSIGN_OR_RAISE(auto infos, fs_->GetFileInfo(selector));
    int next = 0;
    for (const auto& info : infos) next = std::max(next, PartNumber(info.base_name()) + 1);
    char name[32];
    std::snprintf(name, sizeof(name), "part-%05d.jsonl", next);
    part_path_ = folder + "/" + name;
    FST_ASSIGN_OR_RAISE(part_, fs_->OpenOutputStream(part_path_ + kTmp));
    part_day_ = day;
    part_bytes_ = 0;
    part_opened_us_ = now_us;
  }
  Status status = part_->Write(text.data(), static_cast<int64_t>(text.size()));
  if (status.ok()) status = part_->Flush();
  if (!status.ok()) {
    // Keep the whole lines written so far; the next write starts a new part.
    auto part = std::move(part_);
    part_ = nullptr;
    part->Close().Warn();
    FinishStalePart(*fs_, part_path_ + kTmp).Warn();
    return status;
  }
  part_bytes_ += static_cast<int64_t>(text.size());
  return Status::OK();
}

Status FeatureLog::ClosePart() {
  if (part_ == nullptr) return Status::OK();
  auto part = std::move(part_);
  part_ = nullptr;
  FST_RETURN_NOT_OK(part->Close());
  if (part_bytes_ == 0) return fs_->DeleteFile(part_path_ + kTmp);
  return fs_->Move(part_path_ + kTmp, part_path_);
}

std::string FeatureLogDir(const std::string& repo_dir) {
  return repo_dir + "/.featherstone/feature_log";
}

}  // namespace fst::serving
