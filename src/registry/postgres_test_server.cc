#include "postgres_test_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "postgres_db.h"

namespace fst::registry {
namespace {

namespace fs = std::filesystem;

constexpr char kUser[] = "fst";
constexpr char kPassword[] = "registry-test-secret";

PostgresTestServer* server = nullptr;

// The newest /usr/lib/postgresql/N/bin holding initdb.
std::string BinDir() {
  int best = -1;
  std::string dir;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
    const std::string name = entry.path().filename().string();
    const int version = std::atoi(name.c_str());
    if (version > best && fs::exists(entry.path() / "bin" / "initdb")) {
      best = version;
      dir = (entry.path() / "bin").string();
    }
  }
  return dir;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

// Starts `argv` in `cwd`, as the `postgres` user when running as root, its output appended
// to `log`; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& cwd,
            const std::string& log) {
  const passwd* postgres = geteuid() == 0 ? getpwnam("postgres") : nullptr;
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (postgres != nullptr && (setgid(postgres->pw_gid) != 0 || setuid(postgres->pw_uid) != 0)) {
      _exit(126);
    }
    // The server goes when the test binary goes, even when it crashed (set after setuid,
    // which clears it).
    if (prctl(PR_SET_PDEATHSIG, SIGINT) != 0 || chdir(cwd.c_str()) != 0) _exit(126);
    if (freopen(log.c_str(), "a", stdout) == nullptr || dup2(fileno(stdout), 2) < 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace

PostgresTestServer* PostgresTestServer::Get() { return server; }

void PostgresTestServer::SetUp() {
  server = this;
  const std::string bin = BinDir();
  ASSERT_FALSE(bin.empty()) << "no PostgreSQL server under /usr/lib/postgresql (scripts/setup)";
  char pattern[] = "/tmp/fst-registry-pg-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  folder_ = pattern;
  std::ofstream(folder_ + "/pw") << kPassword << "\n";
  if (const passwd* postgres = geteuid() == 0 ? getpwnam("postgres") : nullptr) {
    ASSERT_EQ(chown(folder_.c_str(), postgres->pw_uid, postgres->pw_gid), 0);
    ASSERT_EQ(chown((folder_ + "/pw").c_str(), postgres->pw_uid, postgres->pw_gid), 0);
  }
  const std::string log = folder_ + "/server.log";
  const pid_t initdb =
      Spawn({bin + "/initdb", "-D", folder_ + "/data", "-U", kUser, "--auth-local=trust",
             "--auth-host=scram-sha-256", "--pwfile=" + folder_ + "/pw", "-E", "UTF8",
             "--no-sync", "--no-instructions"},
            folder_, log);
  int status = 0;
  waitpid(initdb, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "initdb failed:\n" << Tail(log);
  port_ = FreePort();
  pid_ = Spawn({bin + "/postgres", "-D", folder_ + "/data", "-p", std::to_string(port_), "-k",
                folder_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off"},
               folder_, log);
  const std::string url = Url("postgres");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (PQping(url.c_str()) != PQPING_OK) {
    ASSERT_EQ(waitpid(pid_, &status, WNOHANG), 0) << "the server exited:\n" << Tail(log);
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the server did not start:\n"
                                                          << Tail(log);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void PostgresTestServer::TearDown() {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }
  if (!folder_.empty()) fs::remove_all(folder_);
}

std::string PostgresTestServer::Url(const std::string& database,
                                    const std::string& password) const {
  return std::string("postgresql://") + kUser + ":" + (password.empty() ? kPassword : password) +
         "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresTestServer::CreateDatabase(const std::string& name) const {
  auto admin = PostgresDb::Open(Url("postgres"));
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE((*admin)->Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").ok());
  const Status created = (*admin)->Exec("CREATE DATABASE " + name);
  ASSERT_TRUE(created.ok()) << created;
}

}  // namespace fst::registry
