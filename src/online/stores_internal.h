// The backends behind OnlineStore::Open (online_store.cc).
#pragma once

#include <memory>
#include <string>

#include "featherstone/online/online_store.h"

namespace fst::online {

// RocksDB in the folder `path` (created when missing). rocksdb_store.cc.
Result<std::unique_ptr<OnlineStore>> OpenRocksDbStore(const std::string& path);

// Redis Cluster through the seed nodes of `spec`, "redis://host:port[,host:port...]", every key
// in the namespace of `project`. redis_cluster_store.cc.
Result<std::unique_ptr<OnlineStore>> OpenRedisClusterStore(const std::string& spec,
                                                           const std::string& project);

}  // namespace fst::online
