// Parquet part files of the offline store: one sorted run each. Layout and the publish
// protocol: docs/impl.md "Offline store".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/table.h>

#include "featherstone/core/status.h"

namespace fst::offline {

// Ingestion sequence column: (ingest id << 32) | row index in the input. Orders rows of the
// same key and times by ingestion (DESIGN section 3 tie rule).
inline constexpr char kSeqColumn[] = "__seq";
// Parquet key-value metadata key holding the comma-separated sort keys of a part.
inline constexpr char kSortKeysMetadata[] = "featherstone.sort_keys";

struct PartLayout {
  std::vector<std::string> sort_keys;  // join key columns, may be empty
  std::string ts_column;
  std::string created_column;  // may be empty
};

struct WrittenPart {
  std::string path;
  int64_t rows = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
};

// Sorts `table` by (sort_keys, ts, created (nulls first), __seq) and writes it to `path` on
// `fs` (parent folders created). The table must hold the layout's columns and kSeqColumn, with
// non-null sort keys and event times. On an error the file is removed (best effort).
// Errors: IOError naming the path.
Result<WrittenPart> WriteSortedPart(arrow::fs::FileSystem& fs,
                                    const std::shared_ptr<arrow::Table>& table,
                                    const PartLayout& layout, const std::string& path);

// A part's columns named in `columns`, in that order, with the file's schema metadata; a
// column the file lacks (written under an older schema) comes back as nulls of `types[i]`.
// Reads `path` on `fs`, or on the local file system without it. Errors: IOError naming the path.
Result<std::shared_ptr<arrow::Table>> ReadPartColumns(
    arrow::fs::FileSystem& fs, const std::string& path, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types);
Result<std::shared_ptr<arrow::Table>> ReadPartColumns(
    const std::string& path, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types);

// The columns of `rows` named in `columns`, in that order, keeping its schema metadata; a column
// `rows` lacks comes back as nulls of `types[i]`. ReadPartColumns after the read.
Result<std::shared_ptr<arrow::Table>> SelectPartColumns(
    const arrow::Table& rows, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types);

// The sort keys recorded in the metadata of a table read by ReadPartColumns (empty when none).
std::vector<std::string> PartSortKeys(const arrow::Table& part);

}  // namespace fst::offline
