// Batch ingestion: connector -> checks -> sorted Parquet parts -> one atomic publish.
// A crash or an error leaves nothing of the file visible; a file already ingested into the
// source (same bytes) is skipped. Protocol: docs/impl.md "Offline store".
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "featherstone/pipeline/repo_context.h"

namespace fst::pipeline {

struct IngestOptions {
  int64_t part_rows = 2'000'000;  // rows per sorted part file (bounds memory)
  // Called after every batch with the rows read so far.
  std::function<void(int64_t rows)> progress;
};

struct IngestResult {
  std::string input;
  int64_t ingest_id = 0;
  int64_t rows = 0;
  int64_t parts = 0;
  bool skipped = false;  // already ingested (ingest_id names the earlier one)
};

// Ingests the file at `path` into source `source`.
// Errors: KeyError for an unknown source (naming the known ones); Invalid naming file, row,
// column and value for bad data; IOError for I/O.
Result<IngestResult> IngestFile(RepoContext& repo, const std::string& source,
                                const std::string& path, const IngestOptions& options);

}  // namespace fst::pipeline
