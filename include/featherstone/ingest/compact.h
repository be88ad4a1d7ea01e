// Compaction of a source's small part files (docs/impl.md "Compaction"): every stream
// micro-batch, push and small ingest publishes parts of its own, and every read opens them
// all. Compact merges the small ones, in ingest order, into sorted parts of at most
// `target_rows` rows, keeping every row's __seq (so the tie rules and the rows of each ingest
// are unchanged), and replaces them in one registry transaction that also records which
// ingests each new file holds. Readers then see the same rows, of the same ingests, before
// and after; a crash at any point leaves either the old files listed or the new ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "featherstone/repo/repo_context.h"

namespace fst::ingest {

struct CompactOptions {
  // Rows per compacted file at most; files with fewer rows are "small" and merged. The
  // default is an ingest's part size (IngestOptions::part_rows).
  int64_t target_rows = 2'000'000;
  // Plan only: the groups are computed and returned, nothing is written or deleted.
  bool dry_run = false;
};

// One compacted file: the small files merged into it.
struct CompactGroup {
  std::vector<std::string> inputs;  // paths relative to the offline root, in ingest order
  int64_t rows = 0;
  std::string output;  // relative to the offline root; empty in a dry run
};

struct CompactResult {
  int64_t compaction_id = 0;  // 0 when nothing was committed (dry run, nothing to do)
  int64_t files_before = 0;   // the source's listed files before
  int64_t files_after = 0;    // and after
  int64_t rows = 0;           // rows moved into compacted files
  std::vector<CompactGroup> groups;
  // Files that earlier compactions killed before or after their commit left unlisted,
  // deleted by this one.
  int64_t cleaned = 0;
};

// Compacts the part files of `source`. Memory: one compacted file's rows at a time, twice
// (read, then sorted), so at most 2 × target_rows rows, whatever the source's size. One
// compaction per source at a time (a lock file beside the registry; a second one fails at
// once). Records an OpenLineage run "compact.SOURCE" when something was compacted.
// Errors: KeyError for an unknown source; Invalid for target_rows < 1 or when another
// compaction of the source holds the lock; IOError naming a file; Cancelled when the source's
// files changed under it (nothing changed, its files deleted).
Result<CompactResult> Compact(repo::RepoContext& repo, const std::string& source,
                              const CompactOptions& options);

}  // namespace fst::ingest
