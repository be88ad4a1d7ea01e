// A PostgreSQL table or query as a Connector (docs/connectors.md "PostgreSQL", docs/impl.md
// "PostgreSQL source"): libpq, `COPY (SELECT the declared columns ...) TO STDOUT` in text
// format, decoded row by row into batches of text columns that are coerced to the schema as
// a file's columns are (OpenReader). At most one batch of rows is held, whatever the table.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "featherstone/connectors/connector.h"

namespace fst::connectors {

struct PostgresRead {
  std::string dsn;    // libpq connection string or URI, `${VAR}` already expanded
  std::string table;  // exactly one of table and query
  std::string query;
  // Incremental reads: only rows whose `cursor_column` is not null and, when `after` is set,
  // greater than `after` (compared by the database, in the column's own type), in the order
  // of that column.
  bool incremental = false;
  std::string cursor_column;
  std::optional<std::string> after;
};

// Where a connection string points, as libpq resolved it (defaults and PG* variables applied).
struct PostgresServer {
  std::string host;
  std::string port;
  std::string database;
  std::string user;

  // "host H, port P, database D, user U".
  std::string ToString() const;
};

class PostgresConnector : public Connector {
 public:
  const PostgresServer& server() const { return server_; }
  // Incremental reads: the cursor column of the last row read, as the database writes it
  // (nullopt when no row was read). Valid once Next() returned the end.
  virtual std::optional<std::string> last_cursor() const = 0;

 protected:
  PostgresServer server_;
};

// Connects, and checks that the table or query has every declared column. `what` names the
// input in messages ("WHAT: row N, column 'C': value 'V' is not a valid TYPE", rows counted
// from 1 in the order the database returns them).
// Errors: IOError "WHAT: cannot connect to PostgreSQL (host H, port P, database D, user U):
// REASON" (the password never appears); Invalid "WHAT: PostgreSQL: MESSAGE" for a refused
// statement; Invalid "WHAT: missing column 'C'; the table has: ..." (or "the query has").
Result<std::unique_ptr<PostgresConnector>> OpenPostgres(const PostgresRead& read,
                                                        const core::Schema& schema,
                                                        const std::string& what,
                                                        const ReadOptions& options);

// `text` with each `${NAME}` replaced by the value of the environment variable NAME.
// Errors: Invalid "WHAT: the environment variable NAME is not set".
Result<std::string> ExpandEnvironment(const std::string& text, const std::string& what);

}  // namespace fst::connectors
