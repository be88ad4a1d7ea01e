// A real PostgreSQL server for the tests of one test binary: a throwaway cluster (initdb in a
// temporary folder, TCP logins by password, fsync off) on a free loopback port, started
// before the first test and stopped, its folder removed, after the last (also when tests
// fail). Run as root, the server runs as the `postgres` user (PostgreSQL refuses root).
// Needs Debian's postgresql package (scripts/setup).
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <sys/types.h>

namespace fst::registry {

class PostgresTestServer : public ::testing::Environment {
 public:
  // The server of this binary (registered by AddGlobalTestEnvironment), or null before.
  static PostgresTestServer* Get();

  void SetUp() override;
  void TearDown() override;

  // A libpq URI of `database` on the server, logging in with `password` (default: the right
  // one).
  std::string Url(const std::string& database, const std::string& password = "") const;
  // Creates an empty database named `name` (dropping one of that name first).
  void CreateDatabase(const std::string& name) const;

 private:
  std::string folder_;
  int port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace fst::registry
