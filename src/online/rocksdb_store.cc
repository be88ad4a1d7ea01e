#include <filesystem>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_batch.h>

#include "featherstone/online/online_store.h"
#include "stores_internal.h"

namespace fst::online {
namespace {

// Key layout: view name, a zero byte, the encoded entity key; appended to `out`.
void AppendRowKey(std::string_view view, std::string_view key, std::string* out) {
  out->append(view);
  out->push_back('\0');
  out->append(key);
}

std::string RowKey(const std::string& view, const std::string& key) {
  std::string out;
  out.reserve(view.size() + 1 + key.size());
  AppendRowKey(view, key, &out);
  return out;
}

// Bookkeeping records: a zero byte (where a view name would start; view names are not
// empty), "record", a zero byte, the record's name.
std::string RecordKey(const std::string& name) {
  std::string out(1, '\0');
  out.append("record");
  out.push_back('\0');
  out.append(name);
  return out;
}

Status FromRocks(const rocksdb::Status& status, const std::string& path) {
  if (status.ok()) return Status::OK();
  return Status::IOError("online store ", path, ": ", status.ToString());
}

class RocksDbStore final : public OnlineStore {
 public:
  static Result<std::unique_ptr<OnlineStore>> Open(const std::string& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::IOError("online store ", path, ": ", ec.message());
    rocksdb::Options options;
    options.create_if_missing = true;
    options.IncreaseParallelism(2);
    options.keep_log_file_num = 3;  // RocksDB's own LOG files: each open starts one
    // Files are written uncompressed: a read that misses the block cache costs a file read, not
    // a decompression too. Each block records its compression, so files written compressed
    // (before) still read, until compaction rewrites them.
    options.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.block_cache = rocksdb::NewLRUCache(256 << 20);
    // Point lookups find their key in a data block by hash rather than binary search.
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    FST_RETURN_NOT_OK(FromRocks(rocksdb::DB::Open(options, path, &db), path));
    return std::unique_ptr<OnlineStore>(new RocksDbStore(db, path, options));
  }

  Status Write(const std::string& view, const std::vector<std::string>& keys,
               const std::vector<std::string>& values) override {
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < keys.size(); ++i) batch.Put(RowKey(view, keys[i]), values[i]);
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), path_);
  }

  Result<std::unique_ptr<SortedWriter>> WriteSorted(const std::string& view) override {
    return std::unique_ptr<SortedWriter>(new TableFileWriter(this, view));
  }

  // The batch's buffer is kept from call to call (a stream writes one every micro-batch).
  Status WriteWithRecord(const std::vector<ViewRows>& rows, const std::string& name,
                         const std::string& record) override {
    record_batch_.Clear();
    for (const auto& view : rows) {
      for (size_t i = 0; i < view.keys.size(); ++i) {
        row_key_.clear();
        AppendRowKey(view.view, view.keys[i], &row_key_);
        record_batch_.Put(row_key_, view.values[i]);
      }
    }
    record_batch_.Put(RecordKey(name), record);
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &record_batch_), path_);
  }

  Result<std::optional<std::string>> ReadRecord(const std::string& name) override {
    std::string value;
    const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), RecordKey(name), &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    FST_RETURN_NOT_OK(FromRocks(status, path_));
    return std::optional<std::string>(std::move(value));
  }

  Result<std::vector<std::optional<std::string>>> Read(
      const std::string& view, const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    FST_RETURN_NOT_OK(ReadEach(view, keys, [&](size_t i, std::optional<std::string_view> row) {
      if (row) out[i].emplace(*row);
      return Status::OK();
    }));
    return out;
  }

  // One batched MultiGet (one key: a Get); the values stay pinned in the block cache while
  // visited (no copy).
  Status ReadEach(const std::string& view, const std::vector<std::string>& keys,
                  const RowVisitor& visit) override {
    // The row keys end to end in one buffer.
    std::string buffer;
    size_t total = 0;
    for (const auto& key : keys) total += view.size() + 1 + key.size();
    buffer.reserve(total);
    for (const auto& key : keys) AppendRowKey(view, key, &buffer);
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    size_t offset = 0;
    for (const auto& key : keys) {
      const size_t size = view.size() + 1 + key.size();
      slices.emplace_back(buffer.data() + offset, size);
      offset += size;
    }
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    if (keys.size() == 1) {  // Get costs less than a batch of one
      statuses[0] = db_->Get(read_options_, db_->DefaultColumnFamily(), slices[0], &values[0]);
    } else {
      db_->MultiGet(read_options_, db_->DefaultColumnFamily(), keys.size(), slices.data(),
                    values.data(), statuses.data());
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].ok()) {
        FST_RETURN_NOT_OK(visit(i, std::string_view(values[i].data(), values[i].size())));
      } else if (statuses[i].IsNotFound()) {
        FST_RETURN_NOT_OK(visit(i, std::nullopt));
      } else {
        return FromRocks(statuses[i], path_);
      }
    }
    return Status::OK();
  }

  Status Flush() override { return FromRocks(db_->Flush(rocksdb::FlushOptions()), path_); }

  Status DropView(const std::string& view) override {
    std::string begin = view;
    begin.push_back('\0');
    std::string end = view;
    end.push_back('\1');
    return FromRocks(db_->DeleteRange(rocksdb::WriteOptions(), db_->DefaultColumnFamily(), begin, end),
                     path_);
  }

 private:
  // The rows of a WriteSorted in a table file in the store's directory (the one file of its
  // name: RocksDB locks the directory to one process, and it ignores files it did not name),
  // ingested by moving it in at Finish. A file left by a crash is overwritten by the next one.
  class TableFileWriter final : public SortedWriter {
   public:
    TableFileWriter(RocksDbStore* store, std::string view)
        : store_(store),
          view_(std::move(view)),
          file_(store->path_ + "/sorted-write.sst.tmp"),
          writer_(rocksdb::EnvOptions(), store->options_) {}

    ~TableFileWriter() override {
      std::error_code ignored;
      std::filesystem::remove(file_, ignored);
    }

    Status Add(std::string_view key, std::string_view value) override {
      if (rows_ == 0) FST_RETURN_NOT_OK(FromRocks(writer_.Open(file_), file_));
      row_key_.clear();
      AppendRowKey(view_, key, &row_key_);
      ++rows_;
      return FromRocks(writer_.Put(row_key_, rocksdb::Slice(value.data(), value.size())), file_);
    }

    Status Finish() override {
      if (rows_ == 0) return Status::OK();
      FST_RETURN_NOT_OK(FromRocks(writer_.Finish(), file_));
      rocksdb::IngestExternalFileOptions ingest;
      ingest.move_files = true;
      return FromRocks(store_->db_->IngestExternalFile({file_}, ingest), store_->path_);
    }

   private:
    RocksDbStore* store_;
    std::string view_;
    std::string file_;
    rocksdb::SstFileWriter writer_;
    std::string row_key_;
    int64_t rows_ = 0;
  };

  RocksDbStore(rocksdb::DB* db, std::string path, rocksdb::Options options)
      : db_(db), path_(std::move(path)), options_(std::move(options)) {}
  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  const rocksdb::Options options_;
  const rocksdb::ReadOptions read_options_;
  rocksdb::WriteBatch record_batch_;  // WriteWithRecord's
  std::string row_key_;               // WriteWithRecord's
};

}  // namespace

Result<std::unique_ptr<OnlineStore>> OpenRocksDbStore(const std::string& path) {
  return RocksDbStore::Open(path);
}

}  // namespace fst::online
