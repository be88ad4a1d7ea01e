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

Status OnlineStore::ReadEach(const std::string& view, const std::vector<std::string>& keys,
                             const RowVisitor& visit) {
  FST_ASSIGN_OR_RAISE(auto rows, Read(view, keys));
  for (size_t i = 0; i < rows.size(); ++i) {
    FST_RETURN_NOT_OK(rows[i] ? visit(i, std::string_view(*rows[i])) : visit(i, std::nullopt));
  }
  return Status::OK();
}

}  // namespace fst::online
