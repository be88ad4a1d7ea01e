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

}  // namespace fst::connectors
