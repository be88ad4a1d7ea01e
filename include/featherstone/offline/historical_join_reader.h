// A part's columns read one Parquet row group at a time, for the PIT join's two passes
// (historical_join.h) and the window join's runs (window_join.h): only one row group's
// decoded values are alive beside what the caller keeps, and buffers kept from an earlier
// part are filled again instead of fresh memory (fresh pages cost more than decoding on
// small machines: the kernel zeroes each one).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/table.h>

#include "featherstone/core/status.h"

namespace parquet::arrow {
class FileReader;
}

namespace fst::offline {

struct PartRef;

class PartRowGroups {
 public:
  // Opens `part` for `columns`; a column the file lacks (written under an older schema) reads
  // back as nulls of `types[i]`; a column may be named more than once. An in-memory part
  // (`part.rows`) is one row group.
  // Errors: IOError naming the path.
  static Result<std::unique_ptr<PartRowGroups>> Open(
      const PartRef& part, const std::vector<std::string>& columns,
      const std::vector<std::shared_ptr<arrow::DataType>>& types);
  ~PartRowGroups();

  // The file's path (with `part.rows`, the name of the rows in messages).
  const std::string& path() const { return path_; }
  int num_row_groups() const { return static_cast<int>(starts_.size()) - 1; }
  int64_t num_rows() const { return starts_.back(); }
  // The first part row of row group `rg`; row_group_start(num_row_groups()) == num_rows().
  int64_t row_group_start(int rg) const { return starts_[static_cast<size_t>(rg)]; }
  // The row group holding part row `row` (0 <= row < num_rows()).
  int RowGroupOf(int64_t row) const;
  // The sort keys recorded in the part's metadata (empty when none, e.g. in-memory rows).
  const std::vector<std::string>& sort_keys() const { return sort_keys_; }
  const std::vector<std::shared_ptr<arrow::DataType>>& types() const { return types_; }
  // The file's schema; nullptr for an in-memory part.
  const std::shared_ptr<arrow::Schema>& file_schema() const { return file_schema_; }

  // Row group `rg`'s columns, in the order given to Open.
  Result<std::vector<std::shared_ptr<arrow::Array>>> Read(int rg);

  // The least and greatest value of `column` in each row group, from the file's statistics:
  // two arrays of num_row_groups() rows, null where a row group records none. Both nullptr
  // when no row group records any, the file lacks the column, or the part is in memory.
  struct Bounds {
    std::shared_ptr<arrow::Array> min;
    std::shared_ptr<arrow::Array> max;
  };
  Result<Bounds> ColumnBounds(const std::string& column) const;

 private:
  PartRowGroups() = default;

  std::string path_;
  std::vector<std::string> columns_;
  std::vector<std::shared_ptr<arrow::DataType>> types_;
  std::vector<int> file_columns_;  // per requested column: the file's column index, or -1
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::shared_ptr<arrow::Table> rows_;  // an in-memory part
  std::vector<int64_t> starts_;
  std::vector<std::string> sort_keys_;
  std::shared_ptr<arrow::Schema> file_schema_;
};

// Buffers handed from one ReadWholeColumns call to the next (one entry per column).
struct ColumnScratch {
  std::vector<std::shared_ptr<arrow::ResizableBuffer>> values;
  std::vector<std::shared_ptr<arrow::ResizableBuffer>> validity;
};

// Every row of `part`'s columns, one array per column, read a row group at a time. 64-bit
// fixed-width columns (int64, timestamps) are copied into `scratch`'s buffers, reused from
// the previous call: arrays of an earlier call sharing them must be dropped first. Other
// columns are concatenated.
Result<std::vector<std::shared_ptr<arrow::Array>>> ReadWholeColumns(PartRowGroups& part,
                                                                    ColumnScratch* scratch);

}  // namespace fst::offline
