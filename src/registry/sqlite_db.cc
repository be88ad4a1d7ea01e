#include "sqlite_db.h"

#include <filesystem>
#include <utility>

#include <sqlite3.h>

namespace fst::registry {

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      next_param_(other.next_param_),
      bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    next_param_ = other.next_param_;
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, next_param_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_, next_param_++, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindReal(double value) {
  const int rc = sqlite3_bind_double(stmt_, next_param_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return db_->Error(std::string("cannot bind parameters of: ") + sqlite3_sql(stmt_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(std::string("cannot run: ") + sqlite3_sql(stmt_));
}

Status Statement::Run() {
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, Step());
    if (!row) return Status::OK();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  next_param_ = 1;
  bind_rc_ = SQLITE_OK;
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::Real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return "";
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IOError(path, ": cannot create folder ", parent.string(), ": ",
                             ec.message());
    }
  }
  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, handle));
  if (handle == nullptr) return Status::IOError(path, ": cannot open: out of memory");
  if (rc != SQLITE_OK) return db->Error("cannot open");
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, 5000);

  FST_ASSIGN_OR_RAISE(Statement journal, db->Prepare("PRAGMA journal_mode=WAL"));
  FST_ASSIGN_OR_RAISE(bool row, journal.Step());
  const std::string mode = row ? journal.Text(0) : "";
  if (mode != "wal") {
    return Status::IOError(path, ": cannot switch to WAL journal mode (got '", mode, "')");
  }
  FST_RETURN_NOT_OK(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(handle_); }

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(handle_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) {
    return Status::OK();
  }
  const std::string text = message != nullptr ? message : sqlite3_errmsg(handle_);
  sqlite3_free(message);
  return Status::IOError(path_, ": ", text);
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(handle_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Error("cannot prepare: " + std::string(sql));
  }
  return Statement(this, stmt);
}

Status SqliteDb::Error(std::string_view what) const {
  return Status::IOError(path_, ": ", what, ": ", sqlite3_errmsg(handle_));
}

Result<Transaction> Transaction::Begin(SqliteDb* db) {
  FST_RETURN_NOT_OK(db->Exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  SqliteDb* db = std::exchange(db_, nullptr);
  const Status status = db->Exec("COMMIT");
  if (!status.ok()) (void)db->Exec("ROLLBACK");
  return status;
}

}  // namespace fst::registry
