#include "redis_cluster.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <hiredis/hiredis.h>

#include "crc16.h"

namespace fst::online {
namespace {

// Failover in a cluster with a 2 s node timeout takes about 5 s; the budget leaves room for
// slower detection while still ending a call against a cluster that is gone.
constexpr auto kRetryBudget = std::chrono::seconds(20);
constexpr auto kMaxBackoff = std::chrono::milliseconds(500);
constexpr int kWaitMs = 2000;

RedisReply Copy(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r.type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : r.type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                : RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Copy(*r.element[i]));
      break;
    default:
      break;
  }
  return out;
}

// Reads one reply from `context`; false (context->errstr says why) when the connection failed.
bool ReadReply(redisContext* context, RedisReply* out) {
  void* raw = nullptr;
  if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) return false;
  *out = Copy(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return true;
}

void Append(redisContext* context, const std::vector<std::string>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  redisAppendCommandArgv(context, static_cast<int>(args.size()), args.data(), lengths.data());
}

bool FlushOutput(redisContext* context) {
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context, &done) != REDIS_OK) return false;
  }
  return true;
}

// How an error reply asks for the command to be sent again.
enum class Redirect { kNone, kMoved, kAsk, kLater };

Redirect Classify(const RedisReply& reply, int* slot, std::string* address) {
  if (reply.type != RedisReply::Type::kError) return Redirect::kNone;
  const std::string& e = reply.str;
  for (const char* later : {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN"}) {
    if (e.rfind(later, 0) == 0) return Redirect::kLater;
  }
  const bool moved = e.rfind("MOVED ", 0) == 0;
  if (!moved && e.rfind("ASK ", 0) != 0) return Redirect::kNone;
  const size_t space = e.find(' ', moved ? 6 : 4);
  if (space == std::string::npos) return Redirect::kNone;
  *slot = std::atoi(e.c_str() + (moved ? 6 : 4));
  *address = e.substr(space + 1);
  return moved ? Redirect::kMoved : Redirect::kAsk;
}

std::string CommandName(const RedisCommand& command) {
  if (command.argv.size() == 1) return command.argv[0].empty() ? "" : command.argv[0][0];
  std::string out = "MULTI";
  for (const auto& argv : command.argv) out += " " + (argv.empty() ? "" : argv[0]);
  return out + " EXEC";
}

}  // namespace

// A command still to be answered: its index in the call, the node an ASK sent it to, and why
// it was last sent again.
struct RedisCluster::Attempt {
  size_t index;
  int ask_node = -1;
  std::string last_error;
};

RedisCluster::RedisCluster(std::vector<std::string> seeds)
    : seeds_(std::move(seeds)), slot_node_(kClusterSlots, -1) {}

RedisCluster::~RedisCluster() {
  for (auto& node : nodes_) {
    if (node.context != nullptr) redisFree(node.context);
  }
}

Result<std::unique_ptr<RedisCluster>> RedisCluster::Connect(std::vector<std::string> seeds) {
  std::unique_ptr<RedisCluster> cluster(new RedisCluster(std::move(seeds)));
  std::lock_guard<std::mutex> lock(cluster->mutex_);
  FST_RETURN_NOT_OK(cluster->RefreshSlots());
  return cluster;
}

int RedisCluster::NodeIndex(const std::string& address) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].address == address) return static_cast<int>(i);
  }
  nodes_.push_back(Node{address});
  return static_cast<int>(nodes_.size() - 1);
}

Result<redisContext*> RedisCluster::Connection(int node) {
  Node& n = nodes_[node];
  if (n.context != nullptr) return n.context;
  const size_t colon = n.address.rfind(':');
  if (colon == std::string::npos) {
    return Status::Invalid("redis node '", n.address, "': expected host:port");
  }
  const std::string host = n.address.substr(0, colon);
  const int port = std::atoi(n.address.c_str() + colon + 1);
  redisContext* context = redisConnectWithTimeout(host.c_str(), port, timeval{1, 0});
  if (context == nullptr || context->err != 0) {
    std::string why = context == nullptr ? "out of memory" : context->errstr;
    if (context != nullptr) redisFree(context);
    return Status::IOError("redis node ", n.address, ": connect: ", why);
  }
  redisSetTimeout(context, timeval{10, 0});
  n.context = context;
  ++n.connection;
  return context;
}

void RedisCluster::Disconnect(int node) {
  if (nodes_[node].context == nullptr) return;
  redisFree(nodes_[node].context);
  nodes_[node].context = nullptr;
}

Status RedisCluster::RefreshSlots() {
  std::vector<std::string> candidates;
  for (const auto& node : nodes_) candidates.push_back(node.address);
  for (const auto& seed : seeds_) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
      candidates.push_back(seed);
    }
  }
  std::string tried;
  for (const auto& address : candidates) {
    const int node = NodeIndex(address);
    auto context = Connection(node);
    RedisReply reply;
    if (context.ok()) {
      Append(*context, {"CLUSTER", "SLOTS"});
      if (!ReadReply(*context, &reply)) {
        tried += (tried.empty() ? "" : "; ") + address + ": " + (*context)->errstr;
        Disconnect(node);
        continue;
      }
    } else {
      tried += (tried.empty() ? "" : "; ") + context.status().message();
      continue;
    }
    if (reply.type != RedisReply::Type::kArray || reply.elements.empty()) {
      tried += (tried.empty() ? "" : "; ") + address + ": CLUSTER SLOTS: " +
               (reply.type == RedisReply::Type::kError ? reply.str : "no slots assigned");
      continue;
    }
    std::vector<int> slots(kClusterSlots, -1);
    std::vector<int> replicas(nodes_.size(), 0);
    for (const auto& range : reply.elements) {
      if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
      const auto& master = range.elements[2];
      const int owner = NodeIndex(master.elements[0].str + ":" +
                                  std::to_string(master.elements[1].integer));
      replicas.resize(nodes_.size(), 0);
      replicas[owner] = std::max(replicas[owner], static_cast<int>(range.elements.size()) - 3);
      const long long first = std::max(0LL, range.elements[0].integer);
      const long long last = std::min<long long>(kClusterSlots - 1, range.elements[1].integer);
      for (long long s = first; s <= last; ++s) slots[s] = owner;
    }
    replicas.resize(nodes_.size(), 0);
    for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i].replicas = replicas[i];
    slot_node_ = std::move(slots);
    return Status::OK();
  }
  return Status::IOError("redis cluster: no node answered CLUSTER SLOTS (", tried, ")");
}

Status RedisCluster::Pass(const std::vector<RedisCommand>& commands,
                          std::vector<Attempt>* pending, std::vector<RedisReply>* replies,
                          std::vector<uint64_t>* ran_on, bool* backoff) {
  // Appends every pending command to its node's connection, sends them all, then reads.
  std::vector<std::vector<Attempt>> by_node(nodes_.size());
  std::vector<Attempt> retry;
  for (auto& attempt : *pending) {
    const int node = attempt.ask_node >= 0 ? attempt.ask_node
                                           : slot_node_[commands[attempt.index].slot];
    if (node < 0) {
      attempt.last_error = "slot " + std::to_string(commands[attempt.index].slot) +
                           " has no node in the cluster's slot map";
      *backoff = true;
      retry.push_back(std::move(attempt));
      continue;
    }
    by_node[node].push_back(std::move(attempt));
  }
  for (size_t node = 0; node < by_node.size(); ++node) {
    if (by_node[node].empty()) continue;
    auto context = Connection(static_cast<int>(node));
    bool sent = context.ok();
    if (sent) {
      for (const auto& attempt : by_node[node]) {
        const RedisCommand& command = commands[attempt.index];
        if (attempt.ask_node >= 0) Append(*context, {"ASKING"});
        if (command.argv.size() > 1) Append(*context, {"MULTI"});
        for (const auto& argv : command.argv) Append(*context, argv);
        if (command.argv.size() > 1) Append(*context, {"EXEC"});
      }
      sent = FlushOutput(*context);
    }
    if (!sent) {
      const std::string why = context.ok() ? std::string((*context)->errstr)
                                           : context.status().message();
      Disconnect(static_cast<int>(node));
      for (auto& attempt : by_node[node]) {
        attempt.last_error = why;
        retry.push_back(std::move(attempt));
      }
      by_node[node].clear();
      *backoff = true;
    }
  }
  Status failed = Status::OK();
  for (size_t node = 0; node < by_node.size(); ++node) {
    redisContext* context = nodes_[node].context;
    bool connected = true;
    for (auto& attempt : by_node[node]) {
      const RedisCommand& command = commands[attempt.index];
      const size_t count = (attempt.ask_node >= 0 ? 1 : 0) + command.argv.size() +
                           (command.argv.size() > 1 ? 2 : 0);
      std::vector<RedisReply> got(count);
      for (size_t r = 0; connected && r < count; ++r) connected = ReadReply(context, &got[r]);
      if (!connected) {
        attempt.last_error = nodes_[node].address + ": " + context->errstr;
        retry.push_back(std::move(attempt));
        *backoff = true;
        continue;
      }
      // The first error among the replies decides (a queued command's error aborts EXEC).
      const RedisReply* error = nullptr;
      for (const auto& reply : got) {
        if (reply.type == RedisReply::Type::kError) {
          error = &reply;
          break;
        }
      }
      if (error == nullptr) {
        (*replies)[attempt.index] = std::move(got.back());
        // Commands run on two connections of a node cannot be waited for with one WAIT.
        uint64_t& ran = (*ran_on)[node];
        ran = ran == 0 || ran == nodes_[node].connection ? nodes_[node].connection : UINT64_MAX;
        continue;
      }
      int slot = 0;
      std::string address;
      switch (Classify(*error, &slot, &address)) {
        case Redirect::kMoved:
          if (slot >= 0 && slot < kClusterSlots) slot_node_[slot] = NodeIndex(address);
          attempt.ask_node = -1;
          break;
        case Redirect::kAsk:
          attempt.ask_node = NodeIndex(address);
          break;
        case Redirect::kLater:
          *backoff = true;
          break;
        case Redirect::kNone:
          if (failed.ok()) {
            failed = Status::IOError("redis node ", nodes_[node].address, ": ",
                                     CommandName(command), ": ", error->str);
          }
          continue;
      }
      attempt.last_error = nodes_[node].address + ": " + error->str;
      retry.push_back(std::move(attempt));
    }
    if (!connected) Disconnect(static_cast<int>(node));
  }
  *pending = std::move(retry);
  return failed;
}

Result<std::vector<RedisReply>> RedisCluster::Run(const std::vector<RedisCommand>& commands,
                                                  bool replicated) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RedisReply> replies(commands.size());
  std::vector<Attempt> pending;
  pending.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) pending.push_back(Attempt{i, -1, {}});
  std::vector<uint64_t> ran_on;  // per node, the connection that ran commands (0: none)
  const auto deadline = std::chrono::steady_clock::now() + kRetryBudget;
  auto backoff_time = std::chrono::milliseconds(20);
  while (!pending.empty()) {
    ran_on.resize(nodes_.size(), 0);
    bool backoff = false;
    FST_RETURN_NOT_OK(Pass(commands, &pending, &replies, &ran_on, &backoff));
    if (pending.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::IOError("redis cluster: ", CommandName(commands[pending[0].index]),
                             " still failing after ", kRetryBudget.count(), " s: ",
                             pending[0].last_error);
    }
    if (backoff) {
      std::this_thread::sleep_for(backoff_time);
      backoff_time = std::min<std::chrono::milliseconds>(backoff_time * 2, kMaxBackoff);
    }
    // A failed refresh keeps the map; the next pass's errors say what is wrong.
    (void)RefreshSlots();
  }
  if (replicated) {
    for (size_t node = 0; node < ran_on.size(); ++node) {
      if (ran_on[node] != 0) {
        FST_RETURN_NOT_OK(AwaitReplica(static_cast<int>(node), ran_on[node]));
      }
    }
  }
  return replies;
}

Status RedisCluster::AwaitReplica(int node, uint64_t connection) {
  if (nodes_[node].replicas == 0) return Status::OK();
  redisContext* context = nodes_[node].context;
  RedisReply reply;
  // WAIT counts the writes of its own connection only.
  if (context == nullptr || nodes_[node].connection != connection) {
    return Status::IOError("redis node ", nodes_[node].address,
                           ": WAIT: the connection closed after the write");
  }
  Append(context, {"WAIT", "1", std::to_string(kWaitMs)});
  if (!ReadReply(context, &reply)) {
    const std::string why = context->errstr;
    Disconnect(node);
    return Status::IOError("redis node ", nodes_[node].address, ": WAIT: ", why);
  }
  if (reply.type != RedisReply::Type::kInteger || reply.integer < 1) {
    (void)RefreshSlots();
    return Status::IOError("redis node ", nodes_[node].address, ": WAIT 1 ", kWaitMs,
                           ": no replica acknowledged the write",
                           reply.type == RedisReply::Type::kError ? " (" + reply.str + ")" : "");
  }
  return Status::OK();
}

Result<RedisReply> RedisCluster::RunOn(const std::string& address,
                                       const std::vector<std::string>& argv) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int node = NodeIndex(address);
  FST_ASSIGN_OR_RAISE(redisContext * context, Connection(node));
  Append(context, argv);
  RedisReply reply;
  if (!ReadReply(context, &reply)) {
    const std::string why = context->errstr;
    Disconnect(node);
    return Status::IOError("redis node ", address, ": ", argv[0], ": ", why);
  }
  if (reply.type == RedisReply::Type::kError) {
    return Status::IOError("redis node ", address, ": ", argv[0], ": ", reply.str);
  }
  return reply;
}

std::vector<std::string> RedisCluster::Masters() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const int node : slot_node_) {
    if (node < 0) continue;
    if (std::find(out.begin(), out.end(), nodes_[node].address) == out.end()) {
      out.push_back(nodes_[node].address);
    }
  }
  return out;
}

}  // namespace fst::online
