// Batch ingestion: connector -> contract (quality) -> sorted Parquet parts and quarantine
// files -> one atomic publish. A crash or an error leaves nothing of the file visible; a file
// already ingested into the source (same bytes) is skipped. Protocol: docs/impl.md "Offline
// store"; contracts, quarantine and breakers: docs/quality.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>

#include "featherstone/registry/stream_offsets.h"
#include "featherstone/repo/repo_context.h"

namespace fst::ingest {

// An input that did not decode into a row: a stream message or pushed line that is not a JSON
// object of the source's schema.
struct UndecodedInput {
  std::string payload;  // the raw bytes, kept in the quarantine for `quarantine replay`
  std::string reason;   // where and why: "topic 'orders' partition 2 offset 17: column ..."
};

struct IngestOptions {
  int64_t part_rows = 2'000'000;  // rows per sorted part file (bounds memory)
  // Bytes of Arrow buffers per part file as well (0: rows only; IngestSource: kSourcePartBytes).
  int64_t part_bytes = 0;
  // Batches read ahead on a second thread while the current one is checked (0: none;
  // IngestSource: none). With FST_THREADS=1 nothing is read ahead.
  int prefetch_batches = 2;
  // Called after every batch with the rows read so far.
  std::function<void(int64_t rows)> progress;
  int64_t now_us = 0;  // the run's time (freshness, breaker); 0 = the wall clock

  // Streams (stream_run.h). Positions recorded in the registry transaction that publishes
  // the run (or records its rejection); never when the run fails or opens the breaker.
  std::vector<registry::StreamOffset> stream_offsets;
  // The share of bad rows the breaker judges, from this run's bad and total rows (e.g. over
  // a window of recent events); unset = this run's own share.
  std::function<double(int64_t bad_rows, int64_t rows)> breaker_share;
  // Contract verdicts (a rejected run, an opened breaker, every row quarantined) come back as
  // an IngestResult with `verdict` set instead of as an error.
  bool verdicts_as_results = false;
  // IngestTable: skip the rows when rows of the same content were published into the source
  // before (as IngestFile skips a file's same bytes); the rows are then read into memory first.
  bool skip_same_content = false;

  // The input is independent events (a stream's micro-batch, pushed lines): a row missing a
  // join key or event time is quarantined even without a contract, never an error of the run.
  bool per_event = false;
  // Inputs that did not decode into rows (with per_event): bad rows of the run like rows
  // breaking the contract. Policy quarantine (or no contract): quarantined with their payload
  // and reason (rule `decode`), numbered after the decoded rows; reject_batch: the run is
  // rejected. They count in the breaker's share.
  std::vector<UndecodedInput> undecoded;

  // Called once the contract accepted the run, before it is published, with its good rows
  // (the source's columns and offline::kSeqColumn, the sequence they are published with); for
  // a rejected run (not one that opens the breaker) with none, before its record. A stream's
  // online side writes them here, so the online store is never behind the offline store.
  std::function<Status(const std::vector<std::shared_ptr<arrow::RecordBatch>>& good)>
      before_publish;
  // false: judge the rows and call before_publish, then publish and record nothing (events
  // the offline store holds already, read again for the online side), except a run that
  // opens the breaker: its record and the OPEN breaker are kept.
  bool publish = true;
  // The events were judged before (a stream's micro-batches, published together later): the
  // contract's aggregate verdict is not given again, so the run is never rejected, and the
  // breaker, which admitted them then, is neither asked nor moved.
  bool judged = false;

  // The OpenLineage run this ingest is (docs/lineage.md): job `lineage_job` ("ingest.SOURCE"
  // when empty), e.g. "push.SOURCE"; none when `lineage_run` is false (a stream's micro-batch,
  // part of the stream's run).
  std::string lineage_job;
  bool lineage_run = true;
};

struct IngestResult {
  std::string input;
  int64_t ingest_id = 0;
  int64_t rows = 0;  // rows written to the offline store
  int64_t parts = 0;
  bool skipped = false;  // already ingested (ingest_id names the earlier one)
  int64_t rows_read = 0;
  int64_t rows_quarantined = 0;
  bool has_contract = false;
  bool probe = false;                 // the run was the breaker's probe (it passed)
  std::vector<std::string> warnings;  // failed warn-level expectations and tolerated failures
  // With verdicts_as_results: why nothing (or no good row) was written; empty when rows were.
  std::string verdict;
  bool breaker_opened = false;  // the verdict opened (or kept open) the breaker
};

// Whether `source` reads its own input (`featherstone ingest SOURCE` without files): kind
// postgres and the kinds of connectors/source_kind.h with an `open` (e.g. files).
bool ReadsOwnInput(const definitions::Source& source);

// Ingests the file at `path` into source `source`. With a contract, rows breaking an
// error-level rule are quarantined (published with the good rows) and the run is recorded.
// Errors: KeyError for an unknown source (naming the known ones); Invalid naming file, row,
// column and value for bad data; Invalid listing the failed expectations when the contract
// rejects the file or its breaker opens or is open (nothing written); Invalid "nothing
// written" when every row was quarantined (the quarantine is published); IOError for I/O;
// Invalid naming what the source reads when it reads its own input (ReadsOwnInput).
Result<IngestResult> IngestFile(repo::RepoContext& repo, const std::string& source,
                                const std::string& path, const IngestOptions& options);

// The part size in bytes IngestSource bounds parts by, unless IngestOptions::part_bytes is set.
constexpr int64_t kSourcePartBytes = int64_t{64} << 20;

// Ingests in-memory rows (a Python table, a pushed batch) exactly as IngestFile ingests a file,
// without deduplication by content; `what` names the input in messages and records.
// Errors: those of IngestFile, with `what` in place of the file name.
Result<IngestResult> IngestTable(repo::RepoContext& repo, const std::string& source,
                                 std::shared_ptr<arrow::RecordBatchReader> rows,
                                 const std::string& what, const IngestOptions& options);

// Ingests a source that reads its own input exactly as IngestFile ingests a file.
// Kinds of connectors/source_kind.h with an `open` (e.g. kind files): what is new since the
// source's last published ingest, its state published with the rows; nothing new gives a
// result with `skipped` and ingest_id 0; parts are bounded by kSourcePartBytes too.
// Kind postgres: its table or query, through connectors::OpenPostgres, never deduplicated. With
// `incremental`, only the rows whose cursor_column is above the value recorded by the
// source's last incremental ingest (all rows with one, the first time), in that column's
// order; the last row's value is recorded in the registry transaction that publishes the
// rows, so a crash before that reads the same rows again (registry/source_cursor.h).
// Errors: those of IngestFile, naming "postgres table 'T'" (or "postgres query of source
// 'S'"); Invalid for a source of another kind, for `incremental` without a cursor_column, for
// an unset `${VAR}` in the dsn; IOError naming host, port, database and user (never the
// password) when the server cannot be reached or refuses the login; Cancelled when another
// incremental ingest of the source published first (or, for kinds with a state, another
// ingest of the source); Invalid for `incremental` on a kind other than postgres.
Result<IngestResult> IngestSource(repo::RepoContext& repo, const std::string& source,
                                  bool incremental, const IngestOptions& options);

}  // namespace fst::ingest
