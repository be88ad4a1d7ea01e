// Online stores hold the latest feature row per (view, entity key). Backends (RocksDB, Redis
// Cluster) sit behind this one interface; see docs/impl.md "Online encoding".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::online {

class OnlineStore {
 public:
  // Opens the store named by `spec`: "rocksdb" (REPO_DIR/.featherstone/online), an absolute
  // "rocksdb:PATH", or Redis Cluster "redis://host:port[,host:port...]" (seed nodes), where
  // the keys of `project` are apart from those of other projects sharing the cluster (the
  // workers of one project share them).
  // Errors: Invalid for an unknown spec; IOError naming the path or the nodes tried.
  static Result<std::unique_ptr<OnlineStore>> Open(const std::string& spec,
                                                   const std::string& repo_dir,
                                                   const std::string& project);
  virtual ~OnlineStore() = default;

  // Writes all pairs of `view`: atomically on RocksDB (one write batch); on Redis Cluster each
  // row on its own, acknowledged once a replica holds it. keys[i] is an encoded entity key
  // (key_codec.h), values[i] an encoded row (row_codec.h). Thread-compatible.
  virtual Status Write(const std::string& view, const std::vector<std::string>& keys,
                       const std::vector<std::string>& values) = 0;

  // A write of many rows of one view (a materialization), handed over by Add in ascending
  // encoded-key order (bytes compared unsigned, as std::string compares). On RocksDB the rows
  // go into one table file, synced and then ingested into the store (no write-ahead log, no
  // memtable): they appear together once Finish returns OK, and none do if Finish is not
  // reached. By default (Redis Cluster) they are written in Write batches as they come.
  class SortedWriter {
   public:
    virtual ~SortedWriter() = default;
    // Errors: IOError naming the store (on RocksDB also when `key` is not greater than the
    // previous key).
    virtual Status Add(std::string_view key, std::string_view value) = 0;
    virtual Status Finish() = 0;
  };
  virtual Result<std::unique_ptr<SortedWriter>> WriteSorted(const std::string& view);

  // The rows of one view in a WriteWithRecord.
  struct ViewRows {
    std::string view;
    std::vector<std::string> keys;
    std::vector<std::string> values;
  };

  // Writes the rows of several views together with the bookkeeping record `name` (e.g. the
  // Kafka positions of a stream that produced the rows): after a crash, both are there or
  // neither is (RocksDB: one write batch; Redis Cluster: a journal that the next ReadRecord
  // or WriteWithRecord of `name` completes). Records live in a key namespace no view name can
  // reach (a view name is never empty). One writer per `name`. Thread-compatible.
  virtual Status WriteWithRecord(const std::vector<ViewRows>& rows, const std::string& name,
                                 const std::string& record) = 0;

  // The record `name` written by WriteWithRecord; nullopt when none was.
  virtual Result<std::optional<std::string>> ReadRecord(const std::string& name) = 0;

  // The encoded rows for `keys` of `view`; nullopt where absent. Thread-safe.
  virtual Result<std::vector<std::optional<std::string>>> Read(
      const std::string& view, const std::vector<std::string>& keys) = 0;

  // Read without copying the rows: calls `visit(i, row)` for i = 0, 1, ... with the encoded row
  // of keys[i] (nullopt where absent), valid during the call only; stops at the first error
  // `visit` returns, and returns it. Thread-safe. By default, Read and then the visits.
  using RowVisitor = std::function<Status(size_t i, std::optional<std::string_view> row)>;
  virtual Status ReadEach(const std::string& view, const std::vector<std::string>& keys,
                          const RowVisitor& visit);

  // Makes written rows durable in the store's files, so the next open need not replay a log
  // (Redis Cluster: nothing to do, writes are acknowledged once replicated).
  virtual Status Flush() = 0;

  // Removes every row of `view`.
  virtual Status DropView(const std::string& view) = 0;
};

}  // namespace fst::online
