#include "featherstone/online/online_store.h"

#include "stores_internal.h"

namespace fst::online {

Result<std::unique_ptr<OnlineStore>> OnlineStore::Open(const std::string& spec,
                                                       const std::string& repo_dir,
                                                       const std::string& project) {
  if (spec.empty() || spec == "rocksdb") {
    return OpenRocksDbStore(repo_dir + "/.featherstone/online");
  }
  if (spec.rfind("rocksdb:", 0) == 0) return OpenRocksDbStore(spec.substr(8));
  if (spec.rfind("redis://", 0) == 0) return OpenRedisClusterStore(spec, project);
  return Status::Invalid("online_store '", spec,
                         "' is not supported; expected 'rocksdb' or 'redis://host:port'");
}

namespace {

// Hands the rows to OnlineStore::Write in batches of kBatch.
class BatchedWriter final : public OnlineStore::SortedWriter {
 public:
  BatchedWriter(OnlineStore* store, std::string view) : store_(store), view_(std::move(view)) {}

  Status Add(std::string_view key, std::string_view value) override {
    keys_.emplace_back(key);
    values_.emplace_back(value);
    return keys_.size() == kBatch ? WriteBatch() : Status::OK();
  }

  Status Finish() override { return keys_.empty() ? Status::OK() : WriteBatch(); }

 private:
  static constexpr size_t kBatch = 100'000;

  Status WriteBatch() {
    FST_RETURN_NOT_OK(store_->Write(view_, keys_, values_));
    keys_.clear();
    values_.clear();
    return Status::OK();
  }

  OnlineStore* store_;
  std::string view_;
  std::vector<std::string> keys_, values_;
};

}  // namespace

Result<std::unique_ptr<OnlineStore::SortedWriter>> OnlineStore::WriteSorted(
    const std::string& view) {
  return std::unique_ptr<SortedWriter>(new BatchedWriter(this, view));
}

Status OnlineStore::ReadEach(const std::string& view, const std::vector<std::string>& keys,
                             const RowVisitor& visit) {
  FST_ASSIGN_OR_RAISE(auto rows, Read(view, keys));
  for (size_t i = 0; i < rows.size(); ++i) {
    FST_RETURN_NOT_OK(rows[i] ? visit(i, std::string_view(*rows[i])) : visit(i, std::nullopt));
  }
  return Status::OK();
}

}  // namespace fst::online
