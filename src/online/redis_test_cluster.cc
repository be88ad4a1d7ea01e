#include "redis_test_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include <hiredis/hiredis.h>

namespace fst::online {
namespace {

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return free;
}

// `command` on the node at `port`, as text: a status or string reply itself, an integer in
// decimal, an array as its elements' texts joined by newlines (one level), "" when the node
// does not answer.
std::string Ask(int port, const std::vector<std::string>& argv) {
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeval{1, 0});
  if (context == nullptr || context->err != 0) {
    if (context != nullptr) redisFree(context);
    return "";
  }
  redisSetTimeout(context, timeval{5, 0});
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const auto& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lengths.data()));
  std::string out;
  if (reply != nullptr) {
    if (reply->type == REDIS_REPLY_INTEGER) out = std::to_string(reply->integer);
    if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
      out.assign(reply->str, reply->len);
    }
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; ++i) {
      const redisReply* e = reply->element[i];
      if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
        out.append(e->str, e->len);
      } else if (e->type == REDIS_REPLY_INTEGER) {
        out += std::to_string(e->integer);
      } else if (e->type == REDIS_REPLY_ARRAY) {
        out += "[" + std::to_string(e->elements) + "]";
      }
      out += "\n";
    }
    freeReplyObject(reply);
  }
  redisFree(context);
  return out;
}

}  // namespace

Result<std::unique_ptr<RedisTestCluster>> RedisTestCluster::Start(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("redis test cluster: ", dir, ": ", ec.message());
  std::unique_ptr<RedisTestCluster> cluster(new RedisTestCluster(dir));
  std::mt19937 random(static_cast<unsigned>(getpid()) ^ static_cast<unsigned>(time(nullptr)));
  while (cluster->ports_.size() < 6) {
    // The cluster bus listens on port + 10000.
    const int port = 20000 + static_cast<int>(random() % 20000);
    bool taken = !PortFree(port) || !PortFree(port + 10000);
    for (const int p : cluster->ports_) taken = taken || std::abs(p - port) < 2;
    if (!taken) cluster->ports_.push_back(port);
  }
  cluster->pids_.assign(6, -1);
  for (size_t i = 0; i < 6; ++i) FST_RETURN_NOT_OK(cluster->Launch(i));
  for (size_t i = 0; i < 6; ++i) {
    for (int tries = 0; Ask(cluster->ports_[i], {"PING"}) != "PONG"; ++tries) {
      if (tries == 100) {
        return Status::IOError("redis test cluster: node ", cluster->ports_[i],
                               " does not answer; see ", dir, "/", cluster->ports_[i], "/log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::string create = "redis-cli --cluster create";
  for (const int port : cluster->ports_) create += " 127.0.0.1:" + std::to_string(port);
  create += " --cluster-replicas 1 --cluster-yes > " + dir + "/create.log 2>&1";
  if (std::system(create.c_str()) != 0) {
    return Status::IOError("redis test cluster: redis-cli --cluster create failed; see ", dir,
                           "/create.log");
  }
  FST_RETURN_NOT_OK(cluster->AwaitReady());
  return cluster;
}

RedisTestCluster::~RedisTestCluster() {
  for (const int port : ports_) Kill(port);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status RedisTestCluster::Launch(size_t node) {
  const std::string port = std::to_string(ports_[node]);
  const std::string folder = dir_ + "/" + port;
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) return Status::IOError("redis test cluster: ", folder, ": ", ec.message());
  std::vector<std::string> argv = {"redis-server", "--port", port, "--bind", "127.0.0.1",
                                   "--cluster-enabled", "yes", "--cluster-config-file",
                                   "nodes.conf", "--cluster-node-timeout", "2000",
                                   "--repl-diskless-sync-delay", "0",
                                   "--cluster-replica-validity-factor", "0", "--save", "",
                                   "--appendonly", "no", "--dir", folder, "--logfile",
                                   folder + "/log"};
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Status::IOError("redis test cluster: fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // no node outlives the test process
    if (getppid() != parent) _exit(1);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  pids_[node] = pid;
  return Status::OK();
}

Status RedisTestCluster::AwaitReady() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string why;
  while (std::chrono::steady_clock::now() < deadline) {
    why.clear();
    int masters = 0;
    for (size_t i = 0; i < ports_.size() && why.empty(); ++i) {
      if (pids_[i] < 0) continue;
      const std::string info = Ask(ports_[i], {"CLUSTER", "INFO"});
      if (info.find("cluster_state:ok") == std::string::npos) {
        why = "node " + std::to_string(ports_[i]) + " is not in cluster_state:ok";
        continue;
      }
      // ROLE of a master: "master", its offset, and "[N]" for its N connected replicas.
      const std::string role = Ask(ports_[i], {"ROLE"});
      if (role.rfind("master\n", 0) != 0) continue;
      ++masters;
      if (role.find("\n[0]\n") != std::string::npos) {
        why = "master " + std::to_string(ports_[i]) + " has no replica yet";
      }
    }
    if (why.empty() && masters == 3) return Status::OK();
    if (why.empty()) why = std::to_string(masters) + " masters";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::IOError("redis test cluster in ", dir_, " not ready after 30 s: ", why);
}

std::string RedisTestCluster::Spec() const {
  std::string out = "redis://";
  for (size_t i = 0; i < ports_.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::string("127.0.0.1:") + std::to_string(ports_[i]);
  }
  return out;
}

Status RedisTestCluster::Clear() {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (pids_[i] < 0 || Ask(ports_[i], {"ROLE"}).rfind("master\n", 0) != 0) continue;
    if (Ask(ports_[i], {"FLUSHALL"}) != "OK") {
      return Status::IOError("redis test cluster: FLUSHALL on ", ports_[i], " failed");
    }
  }
  return Status::OK();
}

void RedisTestCluster::Kill(int port) {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] != port || pids_[i] < 0) continue;
    kill(pids_[i], SIGKILL);
    waitpid(pids_[i], nullptr, 0);
    pids_[i] = -1;
  }
}

Status RedisTestCluster::Restart(int port) {
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == port && pids_[i] < 0) FST_RETURN_NOT_OK(Launch(i));
  }
  return AwaitReady();
}

}  // namespace fst::online
