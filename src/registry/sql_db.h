// The SQL connection the registry runs on, behind one interface with two implementations:
// SQLite (sqlite_db.h) and PostgreSQL (postgres_db.h). Statements are written once, with `?`
// placeholders (`?N` for the N-th parameter), and run unchanged on either; the few places the
// dialects differ ask Db::dialect(). Errors are IOError naming the database (a path, or a URL
// without its password) and the server's message. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "featherstone/core/status.h"

namespace fst::registry {

enum class Dialect { kSqlite, kPostgres };

// One backend's prepared statement (what Statement forwards to).
class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void Bind(int64_t value) = 0;
  virtual void Bind(std::string_view value) = 0;
  virtual void BindReal(double value) = 0;
  virtual Result<bool> Step() = 0;
  virtual void Reset() = 0;
  virtual int64_t Int(int column) const = 0;
  virtual std::string Text(int column) const = 0;
  virtual double Real(int column) const = 0;
};

// A prepared statement. Parameters are bound in order (1-based); a bind error surfaces at the
// next Step or Run. A NULL column reads as 0 or "".
class Statement {
 public:
  explicit Statement(std::unique_ptr<StatementImpl> impl) : impl_(std::move(impl)) {}

  Statement& Bind(int64_t value) {
    impl_->Bind(value);
    return *this;
  }
  Statement& Bind(std::string_view value) {
    impl_->Bind(value);
    return *this;
  }
  Statement& BindReal(double value) {
    impl_->BindReal(value);
    return *this;
  }

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> Step() { return impl_->Step(); }
  // Steps to completion, ignoring any rows.
  Status Run();
  // Makes the statement ready to bind and run again.
  void Reset() { impl_->Reset(); }

  // Columns of the current row (0-based).
  int64_t Int(int column) const { return impl_->Int(column); }
  std::string Text(int column) const { return impl_->Text(column); }
  double Real(int column) const { return impl_->Real(column); }

 private:
  std::unique_ptr<StatementImpl> impl_;
};

class Db {
 public:
  virtual ~Db() = default;

  virtual Dialect dialect() const = 0;
  // What errors name: the file's path, or the URL without its password.
  virtual const std::string& name() const = 0;

  // Runs statements without parameters or results (e.g. a schema script).
  virtual Status Exec(const std::string& sql) = 0;
  virtual Result<Statement> Prepare(std::string_view sql) = 0;

  // IOError "NAME: `what`: the database's last message".
  virtual Status Error(std::string_view what) const = 0;

 private:
  friend class Transaction;
  // Starts a write transaction that excludes every other writer of the database from here
  // on (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and a transaction-scoped advisory lock),
  // so reads inside it see the state its writes build on. Waits for a running one.
  virtual Status BeginWrite() = 0;
  // Commits (or rolls back) the write transaction BeginWrite started.
  virtual Status EndWrite(bool commit) { return Exec(commit ? "COMMIT" : "ROLLBACK"); }
};

// A write transaction (Db::BeginWrite). Rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Db* db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}

  Db* db_;  // null once committed or rolled back
};

}  // namespace fst::registry
