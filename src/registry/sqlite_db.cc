#include "sqlite_db.h"

#include <filesystem>
#include <utility>

#include <sqlite3.h>

namespace fst::registry {

namespace {

class SqliteStatement : public StatementImpl {
 public:
  SqliteStatement(const SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void Bind(int64_t value) override { Check(sqlite3_bind_int64(stmt_, next_param_++, value)); }
  void Bind(std::string_view value) override {
    Check(sqlite3_bind_text64(stmt_, next_param_++, value.data(), value.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void BindReal(double value) override {
    Check(sqlite3_bind_double(stmt_, next_param_++, value));
  }

  Result<bool> Step() override {
    if (bind_rc_ != SQLITE_OK) {
      return db_->Error(std::string("cannot bind parameters of: ") + sqlite3_sql(stmt_));
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->Error(std::string("cannot run: ") + sqlite3_sql(stmt_));
  }

  void Reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    next_param_ = 1;
    bind_rc_ = SQLITE_OK;
  }

  int64_t Int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double Real(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string Text(int column) const override {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (text == nullptr) return "";
    return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  void Check(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  const SqliteDb* db_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace

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
  return Statement(std::make_unique<SqliteStatement>(this, stmt));
}

Status SqliteDb::Error(std::string_view what) const {
  return Status::IOError(path_, ": ", what, ": ", sqlite3_errmsg(handle_));
}

Status SqliteDb::BeginWrite() { return Exec("BEGIN IMMEDIATE"); }

}  // namespace fst::registry
