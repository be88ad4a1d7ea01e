// Table by table (those others refer to first), in the target's column order: PostgreSQL's
// information_schema names every table of the registry (schema_version aside, which both
// sides already agree on), its columns and their types; the source is read with the same
// column names (a SQLite table's implicit rowid included) and each value bound with its
// type. Identity columns' sequences are then moved past the copied ids, so ids stay never
// reused.
#include "featherstone/registry/registry_copy.h"

#include <algorithm>
#include <map>

#include "postgres_db.h"
#include "sql_registry.h"

namespace fst::registry {
namespace {

struct Column {
  std::string name;
  std::string type;  // PostgreSQL's data_type: bigint, double precision, text
  bool identity = false;
};

}  // namespace

Result<std::vector<std::pair<std::string, int64_t>>> CopyRegistry(const std::string& from,
                                                                  const std::string& to) {
  if (!IsPostgresUrl(to)) {
    return Status::Invalid("registry migrate: --to must be a postgresql:// or postgres:// URI");
  }
  FST_ASSIGN_OR_RAISE(auto source, OpenRegistryDb(from));
  FST_ASSIGN_OR_RAISE(auto target, OpenRegistryDb(to));
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(target.get()));
  FST_ASSIGN_OR_RAISE(
      Statement columns,
      target->Prepare("SELECT table_name, column_name, data_type, is_identity FROM "
                      "information_schema.columns WHERE table_schema = current_schema() AND "
                      "table_name <> 'schema_version' ORDER BY table_name, ordinal_position"));
  std::map<std::string, std::vector<Column>> tables;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, columns.Step());
    if (!row) break;
    tables[columns.Text(0)].push_back({columns.Text(1), columns.Text(2), columns.Text(3) == "YES"});
  }
  for (const auto& [table, unused] : tables) {
    FST_ASSIGN_OR_RAISE(Statement any, target->Prepare("SELECT 1 FROM " + table + " LIMIT 1"));
    FST_ASSIGN_OR_RAISE(bool row, any.Step());
    if (row) {
      return Status::Invalid(target->name(), ": not an empty registry (table ", table,
                             " has rows); registry migrate copies into an empty database only");
    }
  }
  // Tables other tables refer to (ingests) first, so every foreign key holds as rows arrive.
  FST_ASSIGN_OR_RAISE(Statement referenced,
                      target->Prepare("SELECT DISTINCT confrelid::regclass::text FROM "
                                      "pg_constraint WHERE contype = 'f'"));
  std::vector<std::string> order;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, referenced.Step());
    if (!row) break;
    if (tables.count(referenced.Text(0)) > 0) order.push_back(referenced.Text(0));
  }
  for (const auto& [table, unused] : tables) {
    if (std::find(order.begin(), order.end(), table) == order.end()) order.push_back(table);
  }
  std::vector<std::pair<std::string, int64_t>> copied;
  for (const auto& table : order) {
    const std::vector<Column>& cols = tables.at(table);
    std::string names;
    std::string params;
    for (const auto& col : cols) {
      names += (names.empty() ? "" : ", ") + col.name;
      params += params.empty() ? "?" : ", ?";
    }
    FST_ASSIGN_OR_RAISE(Statement read,
                        source->Prepare("SELECT " + names + " FROM " + table));
    FST_ASSIGN_OR_RAISE(Statement write, target->Prepare("INSERT INTO " + table + "(" + names +
                                                         ") VALUES (" + params + ")"));
    int64_t rows = 0;
    for (;;) {
      FST_ASSIGN_OR_RAISE(bool row, read.Step());
      if (!row) break;
      write.Reset();
      for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
        if (cols[i].type == "bigint") {
          write.Bind(read.Int(i));
        } else if (cols[i].type == "double precision") {
          write.BindReal(read.Real(i));
        } else {
          write.Bind(read.Text(i));
        }
      }
      FST_RETURN_NOT_OK(write.Run());
      ++rows;
    }
    for (const auto& col : cols) {
      if (!col.identity) continue;
      FST_ASSIGN_OR_RAISE(
          Statement move,
          target->Prepare("SELECT setval(pg_get_serial_sequence(?, ?), (SELECT COALESCE(MAX(" +
                          col.name + "), 0) + 1 FROM " + table + "), false)"));
      FST_RETURN_NOT_OK(move.Bind(table).Bind(col.name).Run());
    }
    copied.emplace_back(table, rows);
  }
  FST_RETURN_NOT_OK(tx.Commit());
  return copied;
}

}  // namespace fst::registry
