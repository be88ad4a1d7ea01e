#include "sql_db.h"

#include <utility>

namespace fst::registry {

Status Statement::Run() {
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, Step());
    if (!row) return Status::OK();
  }
}

Result<Transaction> Transaction::Begin(Db* db) {
  FST_RETURN_NOT_OK(db->BeginWrite());
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->EndWrite(false);
}

Status Transaction::Commit() {
  Db* db = std::exchange(db_, nullptr);
  const Status status = db->EndWrite(true);
  if (!status.ok()) (void)db->EndWrite(false);
  return status;
}

}  // namespace fst::registry
