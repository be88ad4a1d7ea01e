// Connectors turn an input into Arrow record batches coerced to a declared schema.
// A new format or source is one new file implementing Connector plus one line in the
// factory (connector.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "featherstone/core/types.h"

namespace fst::connectors {

struct ReadOptions {
  int64_t batch_rows = 1 << 17;
  // Keep input columns the schema does not declare (after the declared ones), with the type
  // the format gives them (CSV: inferred int64/float64/bool/string; Parquet: its own; JSONL:
  // the top-level keys of the first batch, typed bool/int64/float64 or else string holding the
  // JSON text). Off: drop them.
  bool keep_extra_columns = false;
};

// A batch and where its rows sit in the input, for error messages and ingestion order.
struct Batch {
  std::shared_ptr<arrow::RecordBatch> batch;  // nullptr at end of input
  int64_t first_row = 0;                      // 0-based data row index of batch row 0
};

class Connector {
 public:
  virtual ~Connector() = default;
  // The next batch, columns in schema order with core::ToArrowType types (then extras).
  // Errors: Invalid "FILE: row N, column 'C': value 'V' is not a valid TYPE" (N 1-based, data
  // rows, header excluded), "FILE: missing column 'C'", "FILE: row N, column 'C': null in a
  // non-nullable column", and the format's syntax errors with FILE and row/line. After an
  // error the connector is unusable.
  virtual Result<Batch> Next() = 0;
};

// Opens the file at `path`. `format` is csv | parquet | jsonl, or empty to pick by extension
// (.csv, .parquet/.pq, .jsonl/.ndjson/.json). Timestamps accept ISO-8601 and epoch s/ms/µs
// (core::ParseTimestamp) from strings and integers, and any Arrow timestamp/date type.
// Errors: IOError naming the path; Invalid for an unknown format.
Result<std::unique_ptr<Connector>> OpenFile(const std::string& path, const std::string& format,
                                            const core::Schema& schema, const ReadOptions& options);

// Reads in-memory data from `reader` as OpenFile reads a file: declared columns found by name
// (or dotted path into struct columns) and coerced alike; `what` names the input in messages
// ("WHAT: row N, column 'C': ..."). Errors: Invalid "WHAT: missing column 'C'; the rows have:
// ..." when a declared column is absent.
Result<std::unique_ptr<Connector>> OpenReader(std::shared_ptr<arrow::RecordBatchReader> reader,
                                              const core::Schema& schema, const std::string& what,
                                              const ReadOptions& options);

// Converts `input` to core::ToArrowType(spec.type) as the connectors convert a file's column
// (text is parsed; empty text is null for non-text types), for values that arrive other than
// in a file (request values, in-memory entity tables). Errors: Invalid "WHAT: row N, column
// 'C': value 'V' is not a valid TYPE" (N 1-based), "WHAT: column 'C': cannot read T as TYPE".
Result<std::shared_ptr<arrow::Array>> CoerceArray(const arrow::Array& input,
                                                  const core::ColumnSpec& spec,
                                                  const std::string& what);

// Reads every batch into one table (for inputs the caller must hold, e.g. entity spines).
Result<std::shared_ptr<arrow::Table>> ReadAll(Connector& connector, const core::Schema& schema);

}  // namespace fst::connectors
