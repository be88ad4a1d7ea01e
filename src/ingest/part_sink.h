// Writing an ingest's rows as sorted part files and its quarantined rows as quarantine files,
// both published later in one registry transaction (docs/impl.md "Publish protocol"), on the
// repo's file system (RepoContext::fs()). Internal to src/ingest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arrow/array.h>
#include <arrow/filesystem/type_fwd.h>
#include <arrow/record_batch.h>

#include "featherstone/definitions/model.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/registry/registry.h"

namespace fst::ingest::internal {

// Sort keys for a source's parts: the join keys of the first view (by name) reading it.
std::vector<std::string> SortKeysFor(const definitions::Repo& repo,
                                     const definitions::Source& source);

// `batch` with the kSeqColumn appended: (ingest_id << 32) | (row - 1) for each 1-based input
// row number of `rows`.
Result<std::shared_ptr<arrow::RecordBatch>> WithSeq(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                    int64_t ingest_id, const arrow::Int64Array& rows);

// Buffers rows and writes a sorted part of every `part_rows` rows (the last one may hold
// fewer). With `background` the parts are sorted and written on a writer thread while the
// caller reads and checks the next rows: at most one part in flight, so at most two parts'
// rows are held in memory. `fs` must outlive the sink.
class PartSink {
 public:
  PartSink(arrow::fs::FileSystem& fs, std::string dir, int64_t ingest_id,
           offline::PartLayout layout, bool background)
      : fs_(fs),
        dir_(std::move(dir)),
        ingest_id_(ingest_id),
        layout_(std::move(layout)),
        background_(background) {}
  PartSink(const PartSink&) = delete;
  PartSink& operator=(const PartSink&) = delete;
  ~PartSink() { (void)Wait(); }

  // Errors: those of writing an earlier part.
  // A part also ends once it holds `part_bytes` bytes of Arrow buffers (0: no bound).
  Status Add(std::shared_ptr<arrow::RecordBatch> batch, int64_t part_rows, int64_t part_bytes = 0);
  // Writes the buffered rows and waits until every part is on disk.
  Status Flush();
  // Removes the parts written so far (they were never published), best effort: after a
  // crash they stay, unreferenced.
  void Discard();
  // File records for PublishIngest, paths relative to the offline root. After Flush.
  std::vector<registry::FileRecord> Records(const std::string& source) const;
  int64_t parts() const { return static_cast<int64_t>(parts_.size()); }

 private:
  // Starts the part of the buffered rows once the part in flight is written.
  Status StartPart();
  // Waits for the part in flight; its error, if any.
  Status Wait();

  arrow::fs::FileSystem& fs_;
  std::string dir_;
  int64_t ingest_id_;
  offline::PartLayout layout_;
  bool background_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
  int64_t pending_bytes_ = 0;
  size_t started_ = 0;  // parts started, numbering the files
  std::thread writer_;
  Status writer_status_;
  std::vector<offline::WrittenPart> parts_;  // written; appended by the writer
};

// Quarantine rows for inputs that did not decode: quality::QuarantineSchema(schema) plus
// kPayloadColumn, the source's columns null, __row first_row + 1 + i, __rules kDecodeRule,
// __reasons the reason.
Result<std::shared_ptr<arrow::RecordBatch>> UndecodedRows(const core::Schema& schema,
                                                          int64_t first_row,
                                                          const std::vector<UndecodedInput>& inputs);

// Buffers quarantine rows (quality::QuarantineSchema, with kPayloadColumn or without) and writes q-IIIIIIII-NNNN.parquet files
// of at most `file_rows` rows under `dir` (REPO/.featherstone/quarantine/SOURCE) on `fs`, which
// must outlive the sink.
class QuarantineSink {
 public:
  QuarantineSink(arrow::fs::FileSystem& fs, std::string dir, int64_t ingest_id,
                 int64_t file_rows = 1'000'000)
      : fs_(fs), dir_(std::move(dir)), ingest_id_(ingest_id), file_rows_(file_rows) {}

  // Errors: those of writing a file once `file_rows` rows are buffered.
  Status Add(std::shared_ptr<arrow::RecordBatch> batch);
  // Writes the buffered rows. Errors: IOError naming the file.
  Status Flush();
  // Removes the files written so far, best effort.
  void Discard();
  // Records for PublishChecked, paths relative to the quarantine root.
  std::vector<registry::QuarantineFileRecord> Records(const std::string& source) const;
  int64_t rows() const { return rows_; }

 private:
  arrow::fs::FileSystem& fs_;
  std::string dir_;
  int64_t ingest_id_;
  int64_t file_rows_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
  int64_t rows_ = 0;
  std::vector<std::pair<std::string, int64_t>> files_;  // name, rows
};

// Reads the quarantine file at `path` on `fs`: the source's declared columns typed
// (quality::FromText; a column the file lacks reads as nulls) followed by __row, __rules,
// __reasons and kPayloadColumn. Errors: IOError naming the path; Invalid naming the path, column and value.
Result<std::shared_ptr<arrow::RecordBatch>> ReadQuarantineFile(arrow::fs::FileSystem& fs,
                                                               const std::string& path,
                                                               const core::Schema& schema);

}  // namespace fst::ingest::internal
