// Point-in-time join of entity rows against the part files of one source (DESIGN section 3).
// Two passes per file, a row group at a time: the first reads only keys and times and merges
// them against the sorted entity rows; the second reads the value columns of the row groups
// holding winners. Memory: the entity rows, one Match per entity row, one row group's
// key/time columns (a whole file's for a file sorted for other keys or with ingests left out),
// and the winning values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/table.h>

#include "featherstone/offline/pit_join.h"

namespace fst::offline {

struct PartRef {
  std::string path;  // absolute; with `rows`, only names the rows in messages
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  // Ingest ids, sorted: the file's rows of these ingests (__seq >> 32) are left out, e.g.
  // ingests published after the moment a compacted file is read as of.
  std::vector<int64_t> excluded_ingests;
  // Non-null: the run is these rows in memory (a source's columns and kSeqColumn, in any
  // order), read instead of `path`; e.g. one partition of a source handed over by Spark.
  std::shared_ptr<arrow::Table> rows;
};

// ReadPartColumns of `part`: from its file, or SelectPartColumns of its in-memory rows (which
// carry no sort-keys metadata, so readers sort the run).
Result<std::shared_ptr<arrow::Table>> ReadPart(const PartRef& part,
                                               const std::vector<std::string>& columns,
                                               const std::vector<std::shared_ptr<arrow::DataType>>& types);

// The rows [0, n) of a part whose ingest (seq[i] >> 32) is not in `excluded` (sorted).
std::vector<int64_t> IncludedRows(const int64_t* seq, int64_t n,
                                  const std::vector<int64_t>& excluded);

struct PitSpec {
  std::vector<std::string> key_columns;  // in the part files, in the entity keys' order
  std::string ts_column;
  std::string created_column;  // may be empty
  std::vector<std::string> value_columns;
  std::vector<std::shared_ptr<arrow::DataType>> value_types;  // for files that lack a column
  PitWindow window;
};

struct PitResult {
  // One array per value column, one row per entity row in input order; null where no match.
  std::vector<std::shared_ptr<arrow::Array>> values;
  // Event time (µs) of the matched row, null where no match.
  std::shared_ptr<arrow::Array> event_ts;
  // Where each matched row sits in the tie order (event time, created time, sequence);
  // a default RowOrder where no match.
  std::vector<RowOrder> orders;
};

// Joins entity rows (`entity_keys` columns + `entity_ts` µs, no nulls) against `files`.
// Entity rows with a null key match nothing. Uses `threads` threads.
// Errors: IOError naming a file; Invalid when key types cannot be compared.
Result<PitResult> PitJoinFiles(const std::vector<PartRef>& files,
                               const std::vector<std::shared_ptr<arrow::Array>>& entity_keys,
                               const std::vector<int64_t>& entity_ts, const PitSpec& spec,
                               int threads);

}  // namespace fst::offline
