// The file connectors behind OpenFile and what they share. Internal to src/connectors.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "featherstone/connectors/connector.h"

namespace fst::connectors::internal {

// How OpenCsv reads: in parallel, redoing the rest serially from an error on (what OpenFile
// does), or serially only (the reference the parallel reading is tested against).
enum class CsvRead { kParallel, kSerial };

// Each opens `path`, checks that the declared columns exist, and reads on demand.
// Errors: IOError naming the path; Invalid "PATH: missing column 'C'; the file has: ...".
Result<std::unique_ptr<Connector>> OpenCsv(const std::string& path, const core::Schema& schema,
                                           const ReadOptions& options,
                                           CsvRead mode = CsvRead::kParallel);
Result<std::unique_ptr<Connector>> OpenParquet(const std::string& path, const core::Schema& schema,
                                               const ReadOptions& options);
Result<std::unique_ptr<Connector>> OpenJsonl(const std::string& path, const core::Schema& schema,
                                             const ReadOptions& options);

// Registers Arrow's compute kernels (casts) once; thread-safe.
Status EnsureCompute();

// The name a declared column has in the input: its path when set, else its name.
const std::string& SourceName(const core::ColumnSpec& spec);

// "a.b.c" as {"a", "b", "c"}.
std::vector<std::string> SplitPath(const std::string& path);

// Invalid "FILE: missing column 'C'; the file has: a, b, c" (`has`: how the input's columns
// are introduced).
Status MissingColumn(const std::string& file, const core::ColumnSpec& spec,
                     const std::vector<std::string>& available,
                     const char* has = "the file has");

// The column at `path` in `batch` (a top-level column, then fields of struct columns inside
// it), or nullptr when absent.
Result<std::shared_ptr<arrow::Array>> FindPath(const arrow::RecordBatch& batch,
                                               const std::vector<std::string>& path);

// Arrow fields of the declared columns, in order.
arrow::FieldVector DeclaredFields(const core::Schema& schema);

// Splits converted batches into batches of at most `max_rows` rows and numbers them.
class BatchSlicer {
 public:
  explicit BatchSlicer(int64_t max_rows) : max_rows_(max_rows < 1 ? 1 : max_rows) {}

  // Queues `batch`, whose rows follow those already queued.
  void Push(std::shared_ptr<arrow::RecordBatch> batch);
  bool empty() const { return pending_.empty(); }
  // The next queued slice; requires !empty().
  Batch Pop();
  // Data rows pushed so far: the first row of the next Push.
  int64_t rows() const { return rows_; }

 private:
  int64_t max_rows_;
  int64_t rows_ = 0;
  int64_t popped_rows_ = 0;
  std::deque<std::shared_ptr<arrow::RecordBatch>> pending_;
};

}  // namespace fst::connectors::internal
