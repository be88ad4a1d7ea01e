// The SQLite connection of the registry (sql_db.h): one file in WAL mode. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sql_db.h"

struct sqlite3;

namespace fst::registry {

class SqliteDb : public Db {
 public:
  // Opens or creates the database at `path` (parent folders created) in WAL mode with
  // synchronous=NORMAL, a 5 s busy timeout and foreign keys on.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb() override;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return path_; }
  Status Exec(const std::string& sql) override;
  Result<Statement> Prepare(std::string_view sql) override;
  Status Error(std::string_view what) const override;

 private:
  SqliteDb(std::string path, sqlite3* handle) : path_(std::move(path)), handle_(handle) {}
  // BEGIN IMMEDIATE: takes the write lock up front, waiting up to the busy timeout.
  Status BeginWrite() override;

  std::string path_;
  sqlite3* handle_;
};

}  // namespace fst::registry
