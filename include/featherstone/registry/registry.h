// The registry: applied definitions (versioned), ingestion manifests, materialization
// watermarks, data quality runs, quarantine files and breakers. SQLite at
// REPO/.featherstone/registry.db (WAL mode), or a PostgreSQL database (one per repo). One
// Registry per process; methods are not thread-safe; any number of processes may share one
// registry (writes are serialized per registry). See docs/impl.md "Registry".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "featherstone/core/status.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/registry/catalog_records.h"
#include "featherstone/registry/quality_records.h"

namespace fst::registry {

// A stored definition.
struct ObjectRecord {
  definitions::SpecObject object;
  int version = 0;          // 1 for the first apply, +1 per change
  int64_t applied_at = 0;   // µs
  bool removed = false;     // a removal marker (in History only): removed at applied_at
};

// One difference between the desired definitions and the registry.
struct Change {
  enum class Op { kAdd, kChange, kRemove };
  Op op;
  std::string kind;
  std::string name;
  std::string detail;  // for kChange: which top-level spec keys differ, e.g. "ttl: 30d -> 7d"
};

// What differs between two specs of one object, in key order, joined by "; ": "key: old ->
// new" for scalars, "key added" / "key removed", per item of a list of named items (features,
// schema columns) "feature NAME added" / "removed" / "changed", "key changed" otherwise. E.g.
// "feature amount_cents added; ttl: 30d -> 7d". Plan details and describe's version diffs.
std::string DescribeChange(const nlohmann::json& before, const nlohmann::json& after);

// The rows of one ingest inside a part file.
struct IngestSpan {
  int64_t ingest_id = 0;
  int64_t rows = 0;
  int64_t min_ts = 0;  // µs, event time
  int64_t max_ts = 0;
};

// A Parquet file of the offline store, visible once its ingest is published (or, for a
// compacted file, once its compaction is committed).
struct FileRecord {
  int64_t ingest_id = 0;  // a compacted file: the newest ingest it holds
  std::string source;
  std::string path;  // relative to the offline store root
  int64_t rows = 0;
  int64_t min_ts = 0;  // µs, event time
  int64_t max_ts = 0;
  // A compacted file (ingest/compact.h): the ingests whose rows it holds, by id; empty for a
  // part written by one ingest.
  std::vector<IngestSpan> held;
};

// The ingests whose rows `file` holds: its `held` spans, or one span of its own ingest.
inline std::vector<IngestSpan> IngestSpans(const FileRecord& file) {
  if (!file.held.empty()) return file.held;
  return {IngestSpan{file.ingest_id, file.rows, file.min_ts, file.max_ts}};
}

// A committed compaction of a source's part files (docs/impl.md "Compaction").
struct CompactionRecord {
  int64_t id = 0;
  std::string source;
  int64_t started_at = 0;    // µs
  int64_t committed_at = 0;  // µs
  int64_t files_in = 0;      // part files replaced
  int64_t files_out = 0;     // compacted files written
  int64_t rows = 0;          // rows moved
};

struct IngestRecord {
  int64_t id = 0;
  std::string source;
  std::string input;         // the user's file path
  std::string content_hash;  // hash of the input bytes
  int64_t rows = 0;
  int64_t published_at = 0;  // 0 = begun, never published
};

struct Watermark {
  std::string view;
  int64_t end_ts = 0;          // µs: materialized up to and including this event time
  int64_t last_ingest_id = 0;  // every ingest with id <= this was seen
  int64_t set_at = 0;          // µs: when it was recorded (SetWatermark: 0 = now)
};

// How far `featherstone stream` has applied a source's events to the online store
// (docs/streaming.md "Freshness"): the latest event time applied, and when. It serves
// `freshness` only; exactly-once rests on the positions in the online store's own record.
struct OnlineProgress {
  std::string source;
  int64_t max_event_ts = 0;  // µs
  int64_t updated_at = 0;    // µs; SetOnlineProgress: 0 = now
};

// One consistency run of `featherstone skew` (feedback/skew.h).
struct SkewRunRecord {
  int64_t id = 0;
  int64_t run_at = 0;       // µs
  std::string service;      // empty: every service
  int64_t requests = 0;     // logged responses compared
  int64_t values = 0;       // feature values compared
  int64_t differing = 0;    // values not equal
  std::string report_json;  // per feature: counts, numeric differences, reasons
};

// One OpenLineage RunEvent of an ingest or materialize run (docs/lineage.md).
struct LineageEventRecord {
  int64_t id = 0;          // assigned by the registry, increasing
  std::string run_id;      // UUID shared by a run's START and COMPLETE/FAIL
  std::string job;         // "ingest.SOURCE" | "materialize.VIEW"
  std::string event_type;  // "START" | "COMPLETE" | "FAIL"
  int64_t event_time = 0;  // µs
  int64_t rows = -1;       // rows the run wrote (COMPLETE); -1 = not known
  std::string error;       // FAIL: the error message
  std::string event_json;  // the whole event as OpenLineage JSON
};

class Registry {
 public:
  // Opens the registry at `location` and creates or upgrades its schema: a PostgreSQL URI
  // (postgresql://USER:PASSWORD@HOST:PORT/DATABASE), else a SQLite file path (parent
  // folders created). Errors: IOError naming the path or the URI (without its password) and
  // the database's message; IOError for a registry of a newer schema version.
  static Result<std::unique_ptr<Registry>> Open(const std::string& location);
  virtual ~Registry() = default;

  // Differences between `desired` and the current objects, sorted by kind then name.
  virtual Result<std::vector<Change>> Plan(const std::vector<definitions::SpecObject>& desired) = 0;
  // Makes `desired` the current set in one write transaction (adds, new versions, removals)
  // and records the apply. The changes are planned inside the transaction, against what the
  // last apply committed (a concurrent apply of another process is waited for, then built
  // on, never interleaved). Returns the changes made.
  virtual Result<std::vector<Change>> Apply(const std::vector<definitions::SpecObject>& desired) = 0;
  // Current objects (latest version, not removed), optionally of one kind.
  virtual Result<std::vector<ObjectRecord>> List(const std::string& kind = "") = 0;
  // The id of the latest apply that changed something (0 before any). It grows with every
  // such apply, so a reader that noted it before loading the definitions can tell whether
  // they changed since (RepoContext::ReloadIfApplied).
  virtual Result<int64_t> LatestApplyId() = 0;
  // All versions of the object named `name` (any kind), oldest first; empty when unknown.
  virtual Result<std::vector<ObjectRecord>> History(const std::string& name) = 0;
  // Catalog entries (catalog_records.h) of the current objects matching the FTS5 query `match`
  // (on PostgreSQL the same syntax: words, "phrases", a trailing * for a prefix, OR, NOT)
  // (every entry when empty) and `filter`, best bm25 first, then by kind and name.
  // Errors: Invalid naming `match` when it does not parse.
  virtual Result<std::vector<CatalogMatch>> SearchCatalog(const std::string& match,
                                                          const CatalogFilter& filter) = 0;

  // The published ingest of `source` with this content hash, if any.
  virtual Result<std::optional<IngestRecord>> FindPublishedIngest(const std::string& source,
                                                                  const std::string& content_hash) = 0;
  // Allocates an ingest id (strictly increasing across the registry); invisible until published.
  virtual Result<int64_t> BeginIngest(const std::string& source, const std::string& input,
                                      const std::string& content_hash) = 0;
  // Publishes the ingest and its files atomically (one transaction).
  virtual Status PublishIngest(int64_t ingest_id, int64_t rows,
                               const std::vector<FileRecord>& files) = 0;
  // Published files of `source`, in ingest id order.
  virtual Result<std::vector<FileRecord>> ListFiles(const std::string& source) = 0;
  // Published ingests, newest first; all sources when `source` is empty.
  virtual Result<std::vector<IngestRecord>> ListIngests(const std::string& source = "") = 0;

  virtual Result<std::optional<Watermark>> GetWatermark(const std::string& view) = 0;
  // Records `watermark` as the view's current one and keeps it in the view's history.
  virtual Status SetWatermark(const Watermark& watermark) = 0;
  // The watermark the view had at time `at` (µs): the last one recorded at or before `at`;
  // none when nothing was recorded by then.
  virtual Result<std::optional<Watermark>> GetWatermarkAt(const std::string& view, int64_t at) = 0;

  // The stream's online progress of `source`, replacing the one recorded before.
  virtual Status SetOnlineProgress(const OnlineProgress& progress) = 0;
  virtual Result<std::optional<OnlineProgress>> GetOnlineProgress(const std::string& source) = 0;

  // Data quality (quality_records.h). PublishIngest plus, in the same transaction, the
  // quarantine files, replay marks, run record and breaker state of `quality`.
  // Errors: Invalid when a row is already marked replayed (a concurrent replay).
  virtual Status PublishChecked(int64_t ingest_id, int64_t rows,
                                const std::vector<FileRecord>& files,
                                const QualityPublish& quality) = 0;
  // Records a run that published nothing (and the breaker state it left), in one transaction;
  // with `offsets`, also the stream positions the run consumed (a rejected micro-batch).
  // Errors: Cancelled when a position's stored value is not the one it expects.
  virtual Status RecordQualityRun(const QualityRunRecord& run,
                                  const std::optional<BreakerRow>& breaker,
                                  const std::vector<StreamOffset>& offsets = {}) = 0;
  // Runs of `source` (all sources when empty), newest first, at most `limit` (0 = all).
  virtual Result<std::vector<QualityRunRecord>> ListQualityRuns(const std::string& source,
                                                                int64_t limit = 0) = 0;
  virtual Result<std::optional<BreakerRow>> GetBreaker(const std::string& source) = 0;
  virtual Result<std::vector<BreakerRow>> ListBreakers() = 0;
  virtual Status SetBreaker(const BreakerRow& breaker) = 0;
  // Published quarantine files of `source`, oldest first, with their replayed row counts.
  virtual Result<std::vector<QuarantineFileRecord>> ListQuarantineFiles(
      const std::string& source) = 0;
  // Quarantined rows of `source` already replayed.
  virtual Result<std::vector<ReplayMark>> ListReplayed(const std::string& source) = 0;

  // Records a skew run; returns its id.
  virtual Result<int64_t> RecordSkewRun(const SkewRunRecord& run) = 0;
  // Skew runs of `service` (every run when empty), newest first, at most `limit` (0 = all).
  virtual Result<std::vector<SkewRunRecord>> ListSkewRuns(const std::string& service,
                                                          int64_t limit = 0) = 0;

  // Records a lineage event; returns its id.
  virtual Result<int64_t> RecordLineageEvent(const LineageEventRecord& event) = 0;
  // Events of `job` (every job when empty), newest first, at most `limit` (0 = all).
  virtual Result<std::vector<LineageEventRecord>> ListLineageEvents(const std::string& job,
                                                                    int64_t limit = 0) = 0;
  // The newest COMPLETE or FAIL event of every job, by job name.
  virtual Result<std::vector<LineageEventRecord>> LatestLineageRuns() = 0;

  // Stream positions of `source` (stream_offsets.h), by topic then partition. PublishChecked
  // writes them (QualityPublish::stream_offsets) and fails with Cancelled, publishing nothing,
  // when a stored position moved since the batch began.
  virtual Result<std::vector<StreamOffsetRow>> ListStreamOffsets(const std::string& source) = 0;
  // The state of `source` (source_state.h) as last published: key -> value. PublishChecked
  // writes it (QualityPublish::source_state) and fails with Cancelled, publishing nothing,
  // when an entry changed since the ingest read it.
  virtual Result<std::map<std::string, std::string>> GetSourceState(const std::string& source) = 0;

  // The incremental read position of `source` (source_cursor.h), nullopt when none was
  // stored. PublishChecked writes it (QualityPublish::cursor) and fails with Cancelled,
  // publishing nothing, when the stored value moved since the read began.
  virtual Result<std::optional<SourceCursorRow>> GetSourceCursor(const std::string& source) = 0;

  // Compaction (ingest/compact.h). Allocates a compaction id (strictly increasing); nothing
  // is visible until CommitCompaction.
  virtual Result<int64_t> BeginCompaction(const std::string& source) = 0;
  // In one transaction: unlists the source's files at `replaced` (paths), lists `files` (each
  // with its held spans, ingest_id the newest of them) and records the compaction.
  // Errors: Cancelled when a replaced file is no longer listed, Invalid when a held ingest is
  // not a published ingest of the source (nothing changed either way).
  virtual Status CommitCompaction(int64_t compaction_id, const std::vector<std::string>& replaced,
                                  const std::vector<FileRecord>& files) = 0;
  // Committed compactions of `source`, newest first, at most `limit` (0 = all).
  virtual Result<std::vector<CompactionRecord>> ListCompactions(const std::string& source,
                                                                int64_t limit = 0) = 0;
};

}  // namespace fst::registry
