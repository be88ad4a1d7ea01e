// Writes result tables (training sets) to .csv, .parquet or .jsonl by extension.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/table.h>

#include "featherstone/core/status.h"

namespace fst::connectors {

// Writes `table` to `path` atomically (a temporary file beside it, then rename). CSV and JSONL
// print timestamps as ISO-8601 UTC ("2026-01-02T03:04:05Z") and nulls as empty / null.
// Errors: Invalid for an unknown extension; IOError naming the path.
Status WriteTableFile(const arrow::Table& table, const std::string& path);
// The same on `fs` (the temporary file is removed on an error, best effort).
Status WriteTableFile(arrow::fs::FileSystem& fs, const arrow::Table& table,
                      const std::string& path);

// Writes a result table chunk by chunk (a training set too large to hold), with
// WriteTableFile's formats and atomicity: the rows go to a temporary file beside `path`,
// renamed by Finish. The first chunk fixes the columns; later chunks must have the same.
// Destroying the writer without Finish, or any error, removes the temporary file.
// Not thread-safe.
class TableFileWriter {
 public:
  // Errors: Invalid for an unknown extension; IOError naming the path.
  static Result<std::unique_ptr<TableFileWriter>> Open(arrow::fs::FileSystem& fs,
                                                       const std::string& path);
  ~TableFileWriter();
  TableFileWriter(const TableFileWriter&) = delete;
  TableFileWriter& operator=(const TableFileWriter&) = delete;

  // Errors: Invalid when the columns differ from the first chunk's; IOError naming the path.
  Status Write(const arrow::Table& chunk);
  // Closes and renames the file into place. Errors: Invalid when no chunk was written.
  Status Finish();

 private:
  struct Impl;
  explicit TableFileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fst::connectors
