#include "stream_publisher.h"

namespace fst::ingest::internal {

StreamPublisher::StreamPublisher(Publish publish, size_t capacity)
    : publish_(std::move(publish)), capacity_(capacity == 0 ? 1 : capacity),
      thread_([this] { Run(); }) {}

StreamPublisher::~StreamPublisher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    waiting_.clear();
  }
  changed_.notify_all();
  thread_.join();
}

void StreamPublisher::Add(PublishJob job) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return waiting_.size() < capacity_; });
  if (!error_.ok()) {
    unpublished_ += static_cast<int64_t>(job.messages.size());
    return;
  }
  waiting_.push_back(std::move(job));
  lock.unlock();
  changed_.notify_all();
}

Status StreamPublisher::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return waiting_.empty() && !busy_; });
  return error_;
}

Status StreamPublisher::error() {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

int64_t StreamPublisher::Drop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (const auto& job : waiting_) unpublished_ += static_cast<int64_t>(job.messages.size());
  waiting_.clear();
  changed_.notify_all();
  changed_.wait(lock, [this] { return !busy_; });
  if (error_.IsCancelled()) error_ = Status::OK();
  const int64_t dropped = unpublished_;
  unpublished_ = 0;
  return dropped;
}

void StreamPublisher::Run() {
  while (true) {
    PublishJob job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || !waiting_.empty(); });
      if (stop_) return;
      job = std::move(waiting_.front());
      waiting_.pop_front();
      busy_ = true;
    }
    changed_.notify_all();
    Status status = publish_(job);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
      if (!status.ok()) {
        // Later jobs would start from positions this one did not record: none is published.
        error_ = std::move(status);
        unpublished_ += static_cast<int64_t>(job.messages.size());
        for (const auto& waiting : waiting_) {
          unpublished_ += static_cast<int64_t>(waiting.messages.size());
        }
        waiting_.clear();
      }
    }
    changed_.notify_all();
  }
}

}  // namespace fst::ingest::internal
