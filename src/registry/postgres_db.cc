#include "postgres_db.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "featherstone/core/dsn.h"

namespace fst::registry {
namespace {

// pg_advisory_xact_lock's key for the registry's write transactions ("fstr").
constexpr int64_t kWriteLockKey = 0x66737472;

// Parameter types (pg_type OIDs): int8, text, float8.
constexpr Oid kInt8 = 20;
constexpr Oid kText = 25;
constexpr Oid kFloat8 = 701;

class PostgresStatement : public StatementImpl {
 public:
  PostgresStatement(PostgresDb* db, std::string sql) : db_(db), sql_(std::move(sql)) {}
  ~PostgresStatement() override { PQclear(result_); }

  void Bind(int64_t value) override { Add(std::to_string(value), kInt8); }
  void Bind(std::string_view value) override { Add(std::string(value), kText); }
  void BindReal(double value) override {
    char text[32];
    std::snprintf(text, sizeof(text), "%.17g", value);
    Add(text, kFloat8);
  }

  Result<bool> Step() override {
    if (result_ == nullptr) {
      std::vector<const char*> values;
      for (const auto& value : values_) values.push_back(value.c_str());
      FST_ASSIGN_OR_RAISE(PGconn * conn, db_->Connection());
      result_ = PQexecParams(conn, sql_.c_str(), static_cast<int>(values.size()),
                             types_.data(), values.data(), nullptr, nullptr, 0);
      const ExecStatusType status = PQresultStatus(result_);
      if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        const std::string message = db_->Redact(PQresultErrorMessage(result_));
        return Status::IOError(db_->name(), ": cannot run: ", sql_, ": ", message);
      }
      rows_ = PQntuples(result_);
      row_ = -1;
    }
    if (row_ < rows_) ++row_;
    return row_ < rows_;
  }

  void Reset() override {
    PQclear(result_);
    result_ = nullptr;
    values_.clear();
    types_.clear();
  }

  int64_t Int(int column) const override {
    return Null(column) ? 0 : std::strtoll(PQgetvalue(result_, row_, column), nullptr, 10);
  }
  double Real(int column) const override {
    return Null(column) ? 0 : std::strtod(PQgetvalue(result_, row_, column), nullptr);
  }
  std::string Text(int column) const override {
    if (Null(column)) return "";
    return std::string(PQgetvalue(result_, row_, column),
                       static_cast<size_t>(PQgetlength(result_, row_, column)));
  }

 private:
  void Add(std::string value, Oid type) {
    values_.push_back(std::move(value));
    types_.push_back(type);
  }
  bool Null(int column) const { return PQgetisnull(result_, row_, column) != 0; }

  PostgresDb* db_;
  std::string sql_;
  std::vector<std::string> values_;
  std::vector<Oid> types_;
  PGresult* result_ = nullptr;
  int rows_ = 0;
  int row_ = -1;
};

void IgnoreNotice(void*, const char*) {}

}  // namespace

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string NumberedPlaceholders(std::string_view sql) {
  std::string out;
  int next = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      size_t end = i + 1;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') ++end;
      out += '$';
      out += end > i + 1 ? std::string(sql.substr(i + 1, end - i - 1)) : std::to_string(++next);
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<PostgresDb>> PostgresDb::Open(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::unique_ptr<PostgresDb> db(
      new PostgresDb(core::RedactedDsn(url), core::DsnPassword(url), conn));
  if (conn == nullptr) return Status::IOError(db->name_, ": cannot connect: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    return Status::IOError(db->name_, ": cannot connect: ", db->Redact(PQerrorMessage(conn)));
  }
  FST_RETURN_NOT_OK(db->Configure());
  return db;
}

Status PostgresDb::Configure() {
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  return Exec("SET TIME ZONE 'UTC'; SET extra_float_digits = 3");
}

Result<PGconn*> PostgresDb::Connection() {
  if (PQstatus(conn_) == CONNECTION_OK || in_write_) return conn_;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::IOError(name_, ": connection lost, cannot connect again: ",
                           Redact(PQerrorMessage(conn_)));
  }
  FST_RETURN_NOT_OK(Configure());
  return conn_;
}

PostgresDb::~PostgresDb() { PQfinish(conn_); }

Status PostgresDb::Exec(const std::string& sql) {
  FST_ASSIGN_OR_RAISE(PGconn * conn, Connection());
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  Status out = Status::OK();
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    out = Status::IOError(name_, ": ", Redact(PQresultErrorMessage(result)));
  }
  PQclear(result);
  return out;
}

Result<Statement> PostgresDb::Prepare(std::string_view sql) {
  return Statement(std::make_unique<PostgresStatement>(this, NumberedPlaceholders(sql)));
}

Status PostgresDb::Error(std::string_view what) const {
  return Status::IOError(name_, ": ", what, ": ", Redact(PQerrorMessage(conn_)));
}

std::string PostgresDb::Redact(const std::string& message) const {
  return core::WithoutPassword(message, password_);
}

Status PostgresDb::BeginWrite() {
  // Waits for a running writer as SQLite's busy timeout does, but longer: a publish of many
  // files or an apply over the network may hold the lock for seconds.
  const Status begun = Exec("BEGIN; SET LOCAL lock_timeout = '60s'; SELECT pg_advisory_xact_lock(" +
                            std::to_string(kWriteLockKey) + ")");
  if (!begun.ok()) {
    (void)Exec("ROLLBACK");  // the lock was not taken: leave no transaction open
    return begun;
  }
  in_write_ = true;
  return begun;
}

Status PostgresDb::EndWrite(bool commit) {
  const Status status = Exec(commit ? "COMMIT" : "ROLLBACK");
  in_write_ = false;
  return status;
}

}  // namespace fst::registry
