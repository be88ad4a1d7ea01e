// Thin RAII wrappers over the SQLite C API: a connection, prepared statements and
// BEGIN IMMEDIATE transactions. Errors are IOError naming the database path and SQLite's
// message. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "featherstone/core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fst::registry {

class SqliteDb;

// A prepared statement. Parameters are bound in order (1-based); a bind error surfaces at the
// next Step or Run.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Statement& Bind(int64_t value);
  Statement& Bind(std::string_view value);
  Statement& BindReal(double value);

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps to completion, ignoring any rows.
  Status Run();
  // Makes the statement ready to bind and run again.
  void Reset();

  // Columns of the current row (0-based).
  int64_t Int(int column) const;
  std::string Text(int column) const;
  double Real(int column) const;

 private:
  friend class SqliteDb;
  Statement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
  int bind_rc_ = 0;  // SQLITE_OK
};

class SqliteDb {
 public:
  // Opens or creates the database at `path` (parent folders created) in WAL mode with
  // synchronous=NORMAL, a 5 s busy timeout and foreign keys on.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  const std::string& path() const { return path_; }

  // Runs statements without parameters or results (e.g. a schema script).
  Status Exec(const std::string& sql);
  Result<Statement> Prepare(std::string_view sql);

  // IOError "PATH: `what`: SQLite's last message".
  Status Error(std::string_view what) const;

 private:
  SqliteDb(std::string path, sqlite3* handle) : path_(std::move(path)), handle_(handle) {}

  std::string path_;
  sqlite3* handle_;
};

// BEGIN IMMEDIATE: takes the write lock up front (waiting up to the busy timeout), so reads
// inside the transaction see the state the writes are based on. Rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}

  SqliteDb* db_;  // null once committed or rolled back
};

}  // namespace fst::registry
