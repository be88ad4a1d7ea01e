#include "batch_prefetcher.h"

namespace fst::ingest::internal {

BatchPrefetcher::BatchPrefetcher(connectors::Connector* connector, size_t depth)
    : connector_(connector), depth_(depth == 0 ? 1 : depth), thread_([this] { Run(); }) {}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchPrefetcher::Run() {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < depth_; });
      if (stop_) return;
    }
    Result<connectors::Batch> next = connector_->Next();
    const bool last = !next.ok() || next->batch == nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.push_back(std::move(next));
      finished_ = last;
    }
    changed_.notify_all();
    if (last) return;
  }
}

Result<connectors::Batch> BatchPrefetcher::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !ready_.empty(); });
  Result<connectors::Batch> next = ready_.front();
  const bool last = !next.ok() || next->batch == nullptr;
  // Keep the final result so that calls after the end or an error repeat it.
  if (!(last && ready_.size() == 1 && finished_)) ready_.pop_front();
  lock.unlock();
  changed_.notify_all();
  return next;
}

}  // namespace fst::ingest::internal
