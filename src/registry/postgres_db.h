// The PostgreSQL connection of the registry (sql_db.h), over libpq: one database per repo,
// named by a libpq URI (postgresql://USER:PASSWORD@HOST:PORT/DATABASE?...). Statements are
// sent with text parameters (`?` and `?N` become $N) and read back as text. Write
// transactions hold a transaction-scoped advisory lock on one fixed key, the counterpart of
// SQLite's BEGIN IMMEDIATE: one writer at a time per database, and the reads of a write
// transaction see every write committed before it; a writer waits at most 60 s for it
// (then IOError "... canceling statement due to lock timeout"). Errors name the URI without its password.
// Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sql_db.h"

typedef struct pg_conn PGconn;

namespace fst::registry {

// Whether `location` is a PostgreSQL URI (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view location);

// `sql` with its `?` placeholders numbered for PostgreSQL: `?` -> $1, $2, ... in order,
// `?N` -> $N. Quoted text ('...', "...") is left alone.
std::string NumberedPlaceholders(std::string_view sql);

class PostgresDb : public Db {
 public:
  // Connects to `url`. Errors: IOError naming the URI (password redacted) and libpq's reason.
  static Result<std::unique_ptr<PostgresDb>> Open(const std::string& url);
  ~PostgresDb() override;
  PostgresDb(const PostgresDb&) = delete;
  PostgresDb& operator=(const PostgresDb&) = delete;

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return name_; }
  Status Exec(const std::string& sql) override;
  Result<Statement> Prepare(std::string_view sql) override;
  Status Error(std::string_view what) const override;

  // The server's message `message` without the password (for a failed statement's result).
  std::string Redact(const std::string& message) const;
  // The connection for the next statement. A connection found lost is opened again first,
  // unless a write transaction was running on it: its statements then fail until it ends
  // (nothing of it was committed), so a lost server costs the calls running when it went,
  // never a statement run twice or outside its transaction.
  Result<PGconn*> Connection();

 private:
  PostgresDb(std::string name, std::string password, PGconn* conn)
      : name_(std::move(name)), password_(std::move(password)), conn_(conn) {}
  // The session settings every connection gets.
  Status Configure();
  Status BeginWrite() override;
  Status EndWrite(bool commit) override;

  std::string name_;
  std::string password_;
  PGconn* conn_;
  bool in_write_ = false;
};

}  // namespace fst::registry
