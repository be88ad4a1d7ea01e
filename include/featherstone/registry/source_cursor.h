// Where incremental reads of a database source stopped (docs/connectors.md "PostgreSQL",
// docs/impl.md "PostgreSQL source"): the largest value of the source's cursor column that a
// published ingest read. It is written only in the transaction that publishes those rows, so
// a crash between reading and publishing leaves it where it was and the rows are read again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fst::registry {

// The position one incremental ingest moves its source to.
struct SourceCursor {
  std::string column;  // the cursor column
  // The stored value the read began after (nullopt: none was stored). The write fails
  // (Status::Cancelled) unless the stored value still equals it, so two incremental ingests of
  // one source that began from the same value cannot both publish the same rows.
  std::optional<std::string> expected;
  std::string value;  // the cursor column of the last row read, as the database writes it
};

// A stored position.
struct SourceCursorRow {
  std::string source;
  std::string column;
  std::string value;
  int64_t ingest_id = 0;   // the ingest that moved it
  int64_t updated_at = 0;  // µs
};

}  // namespace fst::registry
