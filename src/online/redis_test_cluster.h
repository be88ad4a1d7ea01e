// A real Redis Cluster for tests: six redis-server nodes (three masters with a replica each)
// on free loopback ports, their files in a folder of their own, stopped (SIGKILL) when the
// object is destroyed or the test process dies.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::online {

class RedisTestCluster {
 public:
  // Starts the nodes in `dir` (emptied first), creates the cluster with redis-cli and waits,
  // up to 30 s, until every node reports cluster_state:ok and every master has an online
  // replica. Errors: IOError naming the step and the node log to read.
  static Result<std::unique_ptr<RedisTestCluster>> Start(const std::string& dir);
  ~RedisTestCluster();

  // "redis://127.0.0.1:P,..." with every node as a seed.
  std::string Spec() const;

  // Deletes every key (FLUSHALL on each master).
  Status Clear();

  // Kills the node on `port` with SIGKILL.
  void Kill(int port);

  // Starts the killed node on `port` again (it rejoins as a replica) and waits, up to 30 s,
  // until the cluster is as Start leaves it: every master with an online replica.
  Status Restart(int port);

 private:
  explicit RedisTestCluster(std::string dir) : dir_(std::move(dir)) {}
  Status Launch(size_t node);
  Status AwaitReady();

  std::string dir_;
  std::vector<int> ports_;
  std::vector<pid_t> pids_;
};

}  // namespace fst::online
