// A Redis Cluster client over hiredis (which has no cluster support): the slot map from
// CLUSTER SLOTS, one connection per node, commands pipelined per node, and the cluster's
// redirections followed. Private to src/online; see docs/impl.md "Online encoding".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "featherstone/core/status.h"

struct redisContext;

namespace fst::online {

// One reply, copied out of hiredis.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;
};

// A command for the master owning `slot`. One argument list is one command; several are
// sent as MULTI, the lists, EXEC (all their keys must be in `slot`), and the reply is EXEC's.
// Arguments are binary-safe.
struct RedisCommand {
  int slot = 0;
  std::vector<std::vector<std::string>> argv;
};

class RedisCluster {
 public:
  // Connects to the cluster through `seeds` ("host:port" each) and loads the slot map.
  // Errors: IOError naming every seed tried when none answers CLUSTER SLOTS.
  static Result<std::unique_ptr<RedisCluster>> Connect(std::vector<std::string> seeds);
  ~RedisCluster();

  // Runs `commands`, pipelined per node, and returns their replies in order. MOVED refreshes
  // the slot map and resends; ASK resends to the named node after ASKING; TRYAGAIN,
  // CLUSTERDOWN, LOADING and lost connections resend after a backoff and a slot map refresh,
  // for up to 20 s. With `replicated`, each node that ran a command is then sent `WAIT 1`
  // and must report a replica's acknowledgement (unless the slot map lists no replica of it).
  // Errors: IOError naming the node and the command. Thread-safe (one caller at a time).
  Result<std::vector<RedisReply>> Run(const std::vector<RedisCommand>& commands,
                                      bool replicated);

  // Runs one command on the master `node` ("host:port"), with no redirection (e.g. SCAN).
  Result<RedisReply> RunOn(const std::string& node, const std::vector<std::string>& argv);

  // The masters of the current slot map, "host:port" each.
  std::vector<std::string> Masters();

 private:
  struct Node {
    std::string address;
    redisContext* context = nullptr;
    uint64_t connection = 0;  // counts the connections made, so a WAIT knows its writes' one
    int replicas = 0;
  };
  struct Attempt;

  explicit RedisCluster(std::vector<std::string> seeds);
  Status RefreshSlots();
  int NodeIndex(const std::string& address);
  Result<redisContext*> Connection(int node);
  void Disconnect(int node);
  Status AwaitReplica(int node, uint64_t connection);
  // Sends every pending command once; leaves in `pending` those to send again.
  Status Pass(const std::vector<RedisCommand>& commands, std::vector<Attempt>* pending,
              std::vector<RedisReply>* replies, std::vector<uint64_t>* ran_on, bool* backoff);

  std::mutex mutex_;
  std::vector<std::string> seeds_;
  std::vector<Node> nodes_;
  std::vector<int> slot_node_;  // kClusterSlots entries, -1 when unassigned
};

}  // namespace fst::online
