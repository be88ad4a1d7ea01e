// Reads a connector's batches on a second thread, a bounded number ahead, so that parsing the
// next batch overlaps checking and writing the current one. Internal to src/pipeline.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "featherstone/connectors/connector.h"

namespace fst::ingest::internal {

class BatchPrefetcher {
 public:
  // `connector` must outlive this object and is used only by its thread from now on.
  // `depth` batches at most wait to be taken (each up to ReadOptions::batch_rows rows).
  BatchPrefetcher(connectors::Connector* connector, size_t depth);
  // Stops reading and joins the thread (after the connector's current Next returns).
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The connector's next result, in order: a batch, the end (nullptr batch) or its error;
  // after the end or an error, the same again.
  Result<connectors::Batch> Next();

 private:
  void Run();

  connectors::Connector* connector_;
  size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Result<connectors::Batch>> ready_;
  bool finished_ = false;  // the thread produced the end or an error
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fst::ingest::internal
