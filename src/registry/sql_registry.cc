// The registry on SQL: the same statements on SQLite (one file in WAL mode) and PostgreSQL
// (one database per repo), over sql_db.h. The schema is written once in SQLite's words;
// Ddl() gives PostgreSQL's (64-bit integers, doubles, identity columns, an explicit `rowid`
// where SQLite has an implicit one that queries order by, a plain table for the catalog).
// Layout (schema version 1):
//   objects     one row per version of a definition; a removal is a row with removed = 1
//               carrying the last spec. Current = the latest version, when not removed.
//   applies     one row per apply that changed something, with its changes as JSON.
//   ingests     ids from AUTOINCREMENT (never reused); published_at = 0 until published.
//   files       written only by PublishIngest, in the same transaction as published_at.
//   watermarks  one row per feature view.
// Schema version 2 adds data quality (docs/quality.md):
//   quarantine_files    written only by PublishChecked, in the transaction that publishes
//                       its ingest (so quarantined rows appear exactly with the good rows).
//   quarantine_replays  one row per quarantined row replayed; the key (path, row) makes a
//                       second replay of the same row fail its transaction.
//   quality_runs        one row per validation run, with the GE result and metrics JSON.
//   breakers            one row per source whose breaker ever changed.
// Schema version 3 adds streams (docs/streaming.md):
//   stream_offsets      per (source, topic, partition) the next offset to consume, written
//                       only in the transaction that publishes (or rejects) the rows before it.
// Schema version 7 adds compaction (docs/impl.md "Compaction"):
//   compactions         ids from AUTOINCREMENT; committed_at = 0 until committed (a compaction
//                       that died or failed stays uncommitted).
//   file_ingests        per compacted file, the ingests whose rows it holds, with their rows
//                       and event time range; written with the file's row in `files`, in the
//                       transaction that unlists the files it replaces.
// Schema version 9 adds the state of sources that read their own input (source_state.h):
//   source_state        per (source, key) the value last published (a files source: each
//                       file's content hash), written only in the publishing transaction.
#include <algorithm>
#include <iterator>
#include <limits>
#include <string_view>
#include <map>
#include <utility>

#include "featherstone/core/time.h"
#include "catalog_index.h"
#include "featherstone/registry/registry.h"
#include "plan.h"
#include "postgres_db.h"
#include "sql_registry.h"
#include "sqlite_db.h"

namespace fst::registry {
namespace {

using definitions::SpecObject;
using nlohmann::json;

// kMigrations[i] takes the schema from version i to i + 1.
// A schema migration in SQLite's words, and PostgreSQL's where they cannot be derived.
struct Migration {
  const char* sql;
  const char* postgres = nullptr;
};

constexpr Migration kMigrations[] = {
    {R"sql(
CREATE TABLE objects(
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  spec_json TEXT NOT NULL,
  hash TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  removed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, name, version)
);
CREATE INDEX objects_by_name ON objects(name);
CREATE TABLE applies(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  applied_at INTEGER NOT NULL,
  changes_json TEXT NOT NULL
);
CREATE TABLE ingests(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  input TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ingests_by_content ON ingests(source, content_hash);
CREATE TABLE files({rowid}
  ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  rows INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  PRIMARY KEY (ingest_id, path)
);
CREATE INDEX files_by_source ON files(source, ingest_id);
CREATE TABLE watermarks(
  view TEXT PRIMARY KEY,
  end_ts INTEGER NOT NULL,
  last_ingest_id INTEGER NOT NULL
);
)sql"},
    {R"sql(
CREATE TABLE quarantine_files({rowid}
  ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  rows INTEGER NOT NULL,
  PRIMARY KEY (ingest_id, path)
);
CREATE INDEX quarantine_files_by_source ON quarantine_files(source, ingest_id);
CREATE TABLE quarantine_replays(
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  row INTEGER NOT NULL,
  replay_ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  PRIMARY KEY (path, row)
);
CREATE INDEX quarantine_replays_by_source ON quarantine_replays(source);
CREATE TABLE quality_runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  ingest_id INTEGER NOT NULL,
  input TEXT NOT NULL,
  run_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  rows INTEGER NOT NULL,
  written INTEGER NOT NULL,
  quarantined INTEGER NOT NULL,
  success INTEGER NOT NULL,
  result_json TEXT NOT NULL,
  metrics_json TEXT NOT NULL
);
CREATE INDEX quality_runs_by_source ON quality_runs(source, id);
CREATE TABLE breakers(
  source TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  bad_share REAL NOT NULL,
  reason TEXT NOT NULL
);
)sql"},
    {R"sql(
CREATE TABLE stream_offsets(
  source TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  ingest_id INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, topic, partition)
);
)sql"},
    // Every watermark a view had, with the time it was recorded (reproduce: what the
    // online store held when a request was served); skew runs.
    {R"sql(
CREATE TABLE watermark_history({rowid}
  view TEXT NOT NULL,
  end_ts INTEGER NOT NULL,
  last_ingest_id INTEGER NOT NULL,
  set_at INTEGER NOT NULL
);
CREATE INDEX watermark_history_by_view ON watermark_history(view, set_at);
CREATE TABLE skew_runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_at INTEGER NOT NULL,
  service TEXT NOT NULL,
  requests INTEGER NOT NULL,
  feature_values INTEGER NOT NULL,
  differing INTEGER NOT NULL,
  report_json TEXT NOT NULL
);
)sql"},
    // OpenLineage run events of ingests and materializations (docs/lineage.md).
    {R"sql(
CREATE TABLE lineage_events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL,
  job TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_time INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  error TEXT NOT NULL,
  event_json TEXT NOT NULL
);
CREATE INDEX lineage_events_by_job ON lineage_events(job, id);
)sql"},
    // The catalog's full-text index (catalog_index.h, docs/catalog.md): one row per current
    // object and per feature of a view, rebuilt by every apply.
    {R"sql(
CREATE VIRTUAL TABLE catalog_fts USING fts5(
  name, description, tags, labels,
  kind UNINDEXED, owner UNINDEXED, tags_json UNINDEXED, labels_json UNINDEXED,
  tokenize = 'unicode61'
);
)sql",
     R"sql(
CREATE TABLE catalog_fts(
  name TEXT NOT NULL, description TEXT NOT NULL, tags TEXT NOT NULL, labels TEXT NOT NULL,
  kind TEXT NOT NULL, owner TEXT NOT NULL, tags_json TEXT NOT NULL, labels_json TEXT NOT NULL
);
)sql"},
    // Compaction of small part files (ingest/compact.h).
    {R"sql(
CREATE TABLE compactions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  committed_at INTEGER NOT NULL DEFAULT 0,
  files_in INTEGER NOT NULL DEFAULT 0,
  files_out INTEGER NOT NULL DEFAULT 0,
  rows INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX compactions_by_source ON compactions(source, id);
CREATE TABLE file_ingests(
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  rows INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  PRIMARY KEY (path, ingest_id)
);
CREATE INDEX file_ingests_by_source ON file_ingests(source);
)sql"},
    // How far streams have applied each source to the online store (freshness).
    {R"sql(
CREATE TABLE online_progress(
  source TEXT PRIMARY KEY,
  max_event_ts INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql"},
    // Incremental read positions of database sources (source_cursor.h).
    {R"sql(
CREATE TABLE source_cursors(
  source TEXT PRIMARY KEY,
  cursor_column TEXT NOT NULL,
  value TEXT NOT NULL,
  ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  updated_at INTEGER NOT NULL
);
)sql"},
    // What sources that read their own input have read (source_state.h).
    {R"sql(
CREATE TABLE source_state(
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  ingest_id INTEGER NOT NULL REFERENCES ingests(id),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, key)
);
)sql"},
};
// The first schema version with catalog_fts: a registry upgraded past it gets its index built.
constexpr int64_t kCatalogIndexVersion = 6;
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));
// LIMIT for "no limit" (PostgreSQL refuses SQLite's -1).
constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  for (size_t at = text->find(from); at != std::string::npos;
       at = text->find(from, at + to.size())) {
    text->replace(at, from.size(), to);
  }
}

// `migration` in the words of `dialect`.
std::string Ddl(Dialect dialect, const Migration& migration) {
  if (dialect == Dialect::kSqlite) {
    std::string sql = migration.sql;
    ReplaceAll(&sql, "{rowid}", "");
    return sql;
  }
  if (migration.postgres != nullptr) return migration.postgres;
  std::string sql = migration.sql;
  ReplaceAll(&sql, "{rowid}", "\n  rowid BIGINT GENERATED BY DEFAULT AS IDENTITY,");
  ReplaceAll(&sql, "INTEGER PRIMARY KEY AUTOINCREMENT",
             "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  ReplaceAll(&sql, "INTEGER", "BIGINT");
  ReplaceAll(&sql, " REAL ", " DOUBLE PRECISION ");
  return sql;
}

constexpr char kObjectColumns[] =
    "kind, name, version, spec_json, hash, applied_at, removed FROM objects";
constexpr char kIngestColumns[] =
    "id, source, input, content_hash, rows, published_at FROM ingests";
constexpr char kRunColumns[] =
    "id, source, ingest_id, input, run_at, outcome, rows, written, quarantined, success, "
    "result_json, metrics_json FROM quality_runs";
constexpr char kBreakerColumns[] =
    "source, state, opened_at, changed_at, bad_share, reason FROM breakers";

bool ByKindThenName(const ObjectRecord& a, const ObjectRecord& b) {
  const int ra = definitions::KindRank(a.object.kind);
  const int rb = definitions::KindRank(b.object.kind);
  return ra != rb ? ra < rb : a.object.name < b.object.name;
}

std::vector<SpecObject> Objects(const std::vector<ObjectRecord>& records) {
  std::vector<SpecObject> objects;
  for (const auto& record : records) objects.push_back(record.object);
  return objects;
}

class SqlRegistry : public Registry {
 public:
  explicit SqlRegistry(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  // Creates or upgrades the schema. Errors: IOError for a database of a newer schema.
  Status Migrate();
  std::unique_ptr<Db> ReleaseDb() { return std::move(db_); }

  Result<std::vector<Change>> Plan(const std::vector<SpecObject>& desired) override;
  Result<std::vector<Change>> Apply(const std::vector<SpecObject>& desired) override;
  Result<std::vector<ObjectRecord>> List(const std::string& kind) override;
  Result<int64_t> LatestApplyId() override;
  Result<std::vector<ObjectRecord>> History(const std::string& name) override;
  Result<std::vector<CatalogMatch>> SearchCatalog(const std::string& match,
                                                  const CatalogFilter& filter) override;

  Result<std::optional<IngestRecord>> FindPublishedIngest(
      const std::string& source, const std::string& content_hash) override;
  Result<int64_t> BeginIngest(const std::string& source, const std::string& input,
                              const std::string& content_hash) override;
  Status PublishIngest(int64_t ingest_id, int64_t rows,
                       const std::vector<FileRecord>& files) override;
  Result<std::vector<FileRecord>> ListFiles(const std::string& source) override;
  Result<std::vector<IngestRecord>> ListIngests(const std::string& source) override;

  Result<std::optional<Watermark>> GetWatermark(const std::string& view) override;
  Status SetWatermark(const Watermark& watermark) override;
  Result<std::optional<Watermark>> GetWatermarkAt(const std::string& view, int64_t at) override;
  Status SetOnlineProgress(const OnlineProgress& progress) override;
  Result<std::optional<OnlineProgress>> GetOnlineProgress(const std::string& source) override;

  Status PublishChecked(int64_t ingest_id, int64_t rows, const std::vector<FileRecord>& files,
                        const QualityPublish& quality) override;
  Status RecordQualityRun(const QualityRunRecord& run, const std::optional<BreakerRow>& breaker,
                          const std::vector<StreamOffset>& offsets) override;
  Result<std::vector<QualityRunRecord>> ListQualityRuns(const std::string& source,
                                                        int64_t limit) override;
  Result<int64_t> RecordLineageEvent(const LineageEventRecord& event) override;
  Result<std::vector<LineageEventRecord>> ListLineageEvents(const std::string& job,
                                                            int64_t limit) override;
  Result<std::vector<LineageEventRecord>> LatestLineageRuns() override;
  Result<std::optional<BreakerRow>> GetBreaker(const std::string& source) override;
  Result<std::vector<BreakerRow>> ListBreakers() override;
  Status SetBreaker(const BreakerRow& breaker) override;
  Result<std::vector<QuarantineFileRecord>> ListQuarantineFiles(
      const std::string& source) override;
  Result<std::vector<ReplayMark>> ListReplayed(const std::string& source) override;
  Result<std::vector<StreamOffsetRow>> ListStreamOffsets(const std::string& source) override;
  Result<std::optional<SourceCursorRow>> GetSourceCursor(const std::string& source) override;
  Result<std::map<std::string, std::string>> GetSourceState(const std::string& source) override;
  Result<int64_t> BeginCompaction(const std::string& source) override;
  Status CommitCompaction(int64_t compaction_id, const std::vector<std::string>& replaced,
                          const std::vector<FileRecord>& files) override;
  Result<std::vector<CompactionRecord>> ListCompactions(const std::string& source,
                                                        int64_t limit) override;
  Result<int64_t> RecordSkewRun(const SkewRunRecord& run) override;
  Result<std::vector<SkewRunRecord>> ListSkewRuns(const std::string& service,
                                                  int64_t limit) override;

 private:
  // Inside a transaction: moves each position of `source` from its expected to its next
  // offset. Errors: Cancelled when a stored position differs from the expected one.
  Status MoveOffsets(const std::string& source, int64_t ingest_id,
                     const std::vector<StreamOffset>& offsets);
  // Inside a transaction: moves the cursor of `source` from its expected value to its new
  // one. Errors: Cancelled when the stored value differs from the expected one.
  Status MoveCursor(const std::string& source, int64_t ingest_id, const SourceCursor& cursor);
  // Inside a transaction: sets each entry of `source`'s state. Errors: Cancelled when a
  // stored value differs from the expected one.
  Status SetState(const std::string& source, int64_t ingest_id,
                  const std::vector<SourceStateChange>& changes);
  // Inside a transaction: the quality run and the breaker state.
  Status InsertRun(const QualityRunRecord& run);
  Status UpsertBreaker(const BreakerRow& breaker);
  static QualityRunRecord ReadRun(const Statement& row);
  static BreakerRow ReadBreaker(const Statement& row);

  // Reads the row of a statement selecting kObjectColumns.
  Result<ObjectRecord> ReadObject(const Statement& row) const;
  static IngestRecord ReadIngest(const Statement& row);
  // The current objects, sorted by kind then name.
  Result<std::vector<ObjectRecord>> Current();

  std::unique_ptr<Db> db_;
};

Status SqlRegistry::Migrate() {
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_RETURN_NOT_OK(db_->Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER)"));
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  FST_ASSIGN_OR_RAISE(bool row, select.Step());
  const int64_t version = row ? select.Int(0) : 0;
  if (version > kSchemaVersion) {
    return Status::IOError(db_->name(), ": registry schema version ", version,
                           " is newer than this featherstone supports (", kSchemaVersion,
                           "); upgrade featherstone");
  }
  if (version == kSchemaVersion) return Status::OK();
  for (int64_t v = version; v < kSchemaVersion; ++v) {
    FST_RETURN_NOT_OK(db_->Exec(Ddl(db_->dialect(), kMigrations[v])));
  }
  if (version > 0 && version < kCatalogIndexVersion) {
    FST_ASSIGN_OR_RAISE(auto current, Current());
    FST_RETURN_NOT_OK(RebuildCatalogIndex(db_.get(), CatalogEntries(Objects(current))));
  }
  FST_RETURN_NOT_OK(db_->Exec("DELETE FROM schema_version"));
  FST_ASSIGN_OR_RAISE(Statement insert,
                      db_->Prepare("INSERT INTO schema_version(version) VALUES (?)"));
  FST_RETURN_NOT_OK(insert.Bind(int64_t{kSchemaVersion}).Run());
  return tx.Commit();
}

Result<ObjectRecord> SqlRegistry::ReadObject(const Statement& row) const {
  ObjectRecord record;
  record.object.kind = row.Text(0);
  record.object.name = row.Text(1);
  record.version = static_cast<int>(row.Int(2));
  record.object.spec = json::parse(row.Text(3), nullptr, /*allow_exceptions=*/false);
  if (record.object.spec.is_discarded()) {
    return Status::IOError(db_->name(), ": ", record.object.kind, " '", record.object.name,
                           "' version ", record.version, " has malformed spec_json");
  }
  record.object.hash = row.Text(4);
  record.applied_at = row.Int(5);
  record.removed = row.Int(6) != 0;
  return record;
}

IngestRecord SqlRegistry::ReadIngest(const Statement& row) {
  return IngestRecord{row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Int(4),
                      row.Int(5)};
}

Result<std::vector<ObjectRecord>> SqlRegistry::Current() {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare(std::string("SELECT ") + kObjectColumns +
                   " AS o WHERE removed = 0 AND version = (SELECT MAX(version) FROM objects"
                   " WHERE kind = o.kind AND name = o.name)"));
  std::vector<ObjectRecord> records;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    FST_ASSIGN_OR_RAISE(ObjectRecord record, ReadObject(select));
    records.push_back(std::move(record));
  }
  std::sort(records.begin(), records.end(), ByKindThenName);
  return records;
}

Result<std::vector<Change>> SqlRegistry::Plan(const std::vector<SpecObject>& desired) {
  FST_ASSIGN_OR_RAISE(auto current, Current());
  return ComputeChanges(Objects(current), desired);
}

Result<std::vector<Change>> SqlRegistry::Apply(const std::vector<SpecObject>& desired) {
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_ASSIGN_OR_RAISE(auto current, Current());
  FST_ASSIGN_OR_RAISE(auto changes, ComputeChanges(Objects(current), desired));
  if (changes.empty()) return changes;

  std::map<std::pair<std::string, std::string>, const SpecObject*> by_key;
  for (const auto& object : desired) by_key[{object.kind, object.name}] = &object;
  for (const auto& record : current) {
    by_key.try_emplace({record.object.kind, record.object.name}, &record.object);
  }

  const int64_t now = core::NowMicros();
  FST_ASSIGN_OR_RAISE(
      Statement next_version,
      db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM objects WHERE kind = ? AND "
                   "name = ?"));
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db_->Prepare("INSERT INTO objects(kind, name, version, spec_json, hash, applied_at, "
                   "removed) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  json log = json::array();
  for (const auto& change : changes) {
    const SpecObject& object = *by_key.at({change.kind, change.name});
    next_version.Reset();
    FST_ASSIGN_OR_RAISE(bool row, next_version.Bind(change.kind).Bind(change.name).Step());
    const int64_t version = row ? next_version.Int(0) : 1;
    const bool removed = change.op == Change::Op::kRemove;
    insert.Reset();
    FST_RETURN_NOT_OK(insert.Bind(change.kind)
                          .Bind(change.name)
                          .Bind(version)
                          .Bind(definitions::SpecText(object.spec))
                          .Bind(SpecHash(object))
                          .Bind(now)
                          .Bind(int64_t{removed})
                          .Run());
    log.push_back({{"op", OpName(change.op)},
                   {"kind", change.kind},
                   {"name", change.name},
                   {"detail", change.detail}});
  }
  FST_ASSIGN_OR_RAISE(Statement record,
                      db_->Prepare("INSERT INTO applies(applied_at, changes_json) VALUES (?, ?)"));
  FST_RETURN_NOT_OK(record.Bind(now).Bind(definitions::SpecText(log)).Run());
  FST_ASSIGN_OR_RAISE(auto applied, Current());
  FST_RETURN_NOT_OK(RebuildCatalogIndex(db_.get(), CatalogEntries(Objects(applied))));
  FST_RETURN_NOT_OK(tx.Commit());
  return changes;
}

Result<std::vector<ObjectRecord>> SqlRegistry::List(const std::string& kind) {
  FST_ASSIGN_OR_RAISE(auto current, Current());
  if (kind.empty()) return current;
  std::erase_if(current, [&](const ObjectRecord& r) { return r.object.kind != kind; });
  return current;
}

Result<int64_t> SqlRegistry::LatestApplyId() {
  FST_ASSIGN_OR_RAISE(Statement select, db_->Prepare("SELECT COALESCE(MAX(id), 0) FROM applies"));
  FST_ASSIGN_OR_RAISE(bool row, select.Step());
  return row ? select.Int(0) : 0;
}

Result<std::vector<ObjectRecord>> SqlRegistry::History(const std::string& name) {
  FST_ASSIGN_OR_RAISE(Statement select, db_->Prepare(std::string("SELECT ") + kObjectColumns +
                                                     " WHERE name = ?"));
  select.Bind(name);
  std::vector<ObjectRecord> records;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    FST_ASSIGN_OR_RAISE(ObjectRecord record, ReadObject(select));
    records.push_back(std::move(record));
  }
  std::sort(records.begin(), records.end(), [](const ObjectRecord& a, const ObjectRecord& b) {
    if (a.applied_at != b.applied_at) return a.applied_at < b.applied_at;
    if (a.object.kind != b.object.kind) return ByKindThenName(a, b);
    return a.version < b.version;
  });
  return records;
}

Result<std::vector<CatalogMatch>> SqlRegistry::SearchCatalog(const std::string& match,
                                                                const CatalogFilter& filter) {
  return QueryCatalogIndex(db_.get(), match, filter);
}

Result<std::optional<IngestRecord>> SqlRegistry::FindPublishedIngest(
    const std::string& source, const std::string& content_hash) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare(std::string("SELECT ") + kIngestColumns +
                                   " WHERE source = ? AND content_hash = ? AND published_at > 0"
                                   " ORDER BY id DESC LIMIT 1"));
  FST_ASSIGN_OR_RAISE(bool row, select.Bind(source).Bind(content_hash).Step());
  if (!row) return std::nullopt;
  return ReadIngest(select);
}

Result<int64_t> SqlRegistry::BeginIngest(const std::string& source, const std::string& input,
                                            const std::string& content_hash) {
  FST_ASSIGN_OR_RAISE(Statement insert,
                      db_->Prepare("INSERT INTO ingests(source, input, content_hash) VALUES "
                                   "(?, ?, ?) RETURNING id"));
  FST_ASSIGN_OR_RAISE(bool row, insert.Bind(source).Bind(input).Bind(content_hash).Step());
  if (!row) return db_->Error("BeginIngest: no id returned");
  const int64_t id = insert.Int(0);
  FST_RETURN_NOT_OK(insert.Run());
  return id;
}

Status SqlRegistry::PublishIngest(int64_t ingest_id, int64_t rows,
                                     const std::vector<FileRecord>& files) {
  return PublishChecked(ingest_id, rows, files, QualityPublish{});
}

Status SqlRegistry::PublishChecked(int64_t ingest_id, int64_t rows,
                                      const std::vector<FileRecord>& files,
                                      const QualityPublish& quality) {
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT source, published_at FROM ingests WHERE id = ?"));
  FST_ASSIGN_OR_RAISE(bool found, select.Bind(ingest_id).Step());
  if (!found) {
    return Status::KeyError(db_->name(), ": ingest ", ingest_id, " was never begun");
  }
  const std::string source = select.Text(0);
  if (select.Int(1) != 0) {
    return Status::Invalid(db_->name(), ": ingest ", ingest_id, " is already published");
  }
  FST_ASSIGN_OR_RAISE(Statement insert,
                      db_->Prepare("INSERT INTO files(ingest_id, source, path, rows, min_ts, "
                                   "max_ts) VALUES (?, ?, ?, ?, ?, ?)"));
  for (const auto& file : files) {
    if (!file.source.empty() && file.source != source) {
      return Status::Invalid(db_->name(), ": file '", file.path, "' is of source '",
                             file.source, "' but ingest ", ingest_id, " is of source '", source,
                             "'");
    }
    insert.Reset();
    FST_RETURN_NOT_OK(insert.Bind(ingest_id)
                          .Bind(source)
                          .Bind(file.path)
                          .Bind(file.rows)
                          .Bind(file.min_ts)
                          .Bind(file.max_ts)
                          .Run());
  }
  FST_ASSIGN_OR_RAISE(
      Statement update,
      db_->Prepare("UPDATE ingests SET rows = ?, published_at = ? WHERE id = ?"));
  const int64_t published_at = std::max<int64_t>(core::NowMicros(), 1);
  FST_RETURN_NOT_OK(update.Bind(rows).Bind(published_at).Bind(ingest_id).Run());

  FST_ASSIGN_OR_RAISE(Statement quarantine,
                      db_->Prepare("INSERT INTO quarantine_files(ingest_id, source, path, rows) "
                                   "VALUES (?, ?, ?, ?)"));
  for (const auto& file : quality.quarantine_files) {
    quarantine.Reset();
    FST_RETURN_NOT_OK(quarantine.Bind(ingest_id).Bind(source).Bind(file.path).Bind(file.rows).Run());
  }
  FST_ASSIGN_OR_RAISE(Statement seen, db_->Prepare("SELECT replay_ingest_id FROM "
                                                   "quarantine_replays WHERE path = ? AND row = ?"));
  FST_ASSIGN_OR_RAISE(Statement mark,
                      db_->Prepare("INSERT INTO quarantine_replays(source, path, row, "
                                   "replay_ingest_id) VALUES (?, ?, ?, ?)"));
  for (const auto& replayed : quality.replayed) {
    seen.Reset();
    FST_ASSIGN_OR_RAISE(bool already, seen.Bind(replayed.path).Bind(replayed.row).Step());
    if (already) {
      return Status::Invalid(db_->name(), ": quarantined row ", replayed.row, " of ",
                             replayed.path, " was already replayed by ingest #", seen.Int(0));
    }
    mark.Reset();
    FST_RETURN_NOT_OK(
        mark.Bind(source).Bind(replayed.path).Bind(replayed.row).Bind(ingest_id).Run());
  }
  if (quality.run.has_value()) {
    QualityRunRecord run = *quality.run;
    run.ingest_id = ingest_id;
    FST_RETURN_NOT_OK(InsertRun(run));
  }
  if (quality.breaker.has_value()) {
    FST_RETURN_NOT_OK(UpsertBreaker(*quality.breaker));
  }
  FST_RETURN_NOT_OK(MoveOffsets(source, ingest_id, quality.stream_offsets));
  if (quality.cursor.has_value()) FST_RETURN_NOT_OK(MoveCursor(source, ingest_id, *quality.cursor));
  FST_RETURN_NOT_OK(SetState(source, ingest_id, quality.source_state));
  return tx.Commit();
}

Status SqlRegistry::SetState(const std::string& source, int64_t ingest_id,
                                const std::vector<SourceStateChange>& changes) {
  if (changes.empty()) return Status::OK();
  FST_ASSIGN_OR_RAISE(Statement select, db_->Prepare("SELECT value FROM source_state WHERE "
                                                     "source = ? AND key = ?"));
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO source_state(source, key, value, ingest_id, updated_at) VALUES "
                   "(?, ?, ?, ?, ?) ON CONFLICT(source, key) DO UPDATE SET value = "
                   "excluded.value, ingest_id = excluded.ingest_id, updated_at = "
                   "excluded.updated_at"));
  const int64_t now = core::NowMicros();
  for (const auto& change : changes) {
    select.Reset();
    FST_ASSIGN_OR_RAISE(bool found, select.Bind(source).Bind(change.key).Step());
    const std::optional<std::string> stored =
        found ? std::optional<std::string>(select.Text(0)) : std::nullopt;
    if (stored != change.expected) {
      return Status::Cancelled(db_->name(), ": source '", source, "', '", change.key,
                               "' changed since this ingest read it (another ingest of the "
                               "source published first); run the ingest again");
    }
    upsert.Reset();
    FST_RETURN_NOT_OK(
        upsert.Bind(source).Bind(change.key).Bind(change.value).Bind(ingest_id).Bind(now).Run());
  }
  return Status::OK();
}

Result<std::map<std::string, std::string>> SqlRegistry::GetSourceState(
    const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT key, value FROM source_state WHERE source = ?"));
  select.Bind(source);
  std::map<std::string, std::string> state;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    state.emplace(select.Text(0), select.Text(1));
  }
  return state;
}

Status SqlRegistry::MoveCursor(const std::string& source, int64_t ingest_id,
                                  const SourceCursor& cursor) {
  FST_ASSIGN_OR_RAISE(auto stored, GetSourceCursor(source));
  const std::optional<std::string> value =
      stored.has_value() ? std::optional<std::string>(stored->value) : std::nullopt;
  if (value != cursor.expected) {
    return Status::Cancelled(db_->name(), ": source '", source, "': the stored cursor is ",
                             value.has_value() ? "'" + *value + "'" : std::string("none"),
                             ", not ",
                             cursor.expected.has_value() ? "'" + *cursor.expected + "'"
                                                         : std::string("none"),
                             " as this read expected (another ingest of the source published "
                             "first); run the ingest again");
  }
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO source_cursors(source, cursor_column, value, ingest_id, "
                   "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                   "cursor_column = excluded.cursor_column, value = excluded.value, "
                   "ingest_id = excluded.ingest_id, updated_at = excluded.updated_at"));
  return upsert.Bind(source)
      .Bind(cursor.column)
      .Bind(cursor.value)
      .Bind(ingest_id)
      .Bind(core::NowMicros())
      .Run();
}

Result<std::optional<SourceCursorRow>> SqlRegistry::GetSourceCursor(
    const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT source, cursor_column, value, ingest_id, updated_at "
                                   "FROM source_cursors WHERE source = ?"));
  FST_ASSIGN_OR_RAISE(bool found, select.Bind(source).Step());
  if (!found) return std::nullopt;
  return SourceCursorRow{select.Text(0), select.Text(1), select.Text(2), select.Int(3),
                         select.Int(4)};
}

Status SqlRegistry::MoveOffsets(const std::string& source, int64_t ingest_id,
                                   const std::vector<StreamOffset>& offsets) {
  if (offsets.empty()) return Status::OK();
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT next_offset FROM stream_offsets WHERE source = ? AND "
                                   "topic = ? AND partition = ?"));
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO stream_offsets(source, topic, partition, next_offset, ingest_id, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source, topic, partition) "
                   "DO UPDATE SET next_offset = excluded.next_offset, ingest_id = "
                   "excluded.ingest_id, updated_at = excluded.updated_at"));
  const int64_t now = core::NowMicros();
  for (const auto& offset : offsets) {
    select.Reset();
    FST_ASSIGN_OR_RAISE(bool found,
                        select.Bind(source)
                            .Bind(offset.topic)
                            .Bind(int64_t{offset.partition})
                            .Step());
    const int64_t stored = found ? select.Int(0) : -1;
    if (stored != offset.expected) {
      return Status::Cancelled(db_->name(), ": source '", source, "', topic '", offset.topic,
                               "' partition ", offset.partition, ": the stored position is ",
                               stored < 0 ? std::string("none") : std::to_string(stored),
                               ", not ",
                               offset.expected < 0 ? std::string("none")
                                                   : std::to_string(offset.expected),
                               " as this batch expected (another worker consumed it)");
    }
    upsert.Reset();
    FST_RETURN_NOT_OK(upsert.Bind(source)
                          .Bind(offset.topic)
                          .Bind(int64_t{offset.partition})
                          .Bind(offset.next_offset)
                          .Bind(ingest_id)
                          .Bind(now)
                          .Run());
  }
  return Status::OK();
}

Result<std::vector<StreamOffsetRow>> SqlRegistry::ListStreamOffsets(const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT source, topic, partition, next_offset, ingest_id, "
                                   "updated_at FROM stream_offsets WHERE source = ? "
                                   "ORDER BY topic, partition"));
  select.Bind(source);
  std::vector<StreamOffsetRow> rows;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    rows.push_back(StreamOffsetRow{select.Text(0), select.Text(1),
                                   static_cast<int32_t>(select.Int(2)), select.Int(3),
                                   select.Int(4), select.Int(5)});
  }
  return rows;
}

Status SqlRegistry::InsertRun(const QualityRunRecord& run) {
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db_->Prepare("INSERT INTO quality_runs(source, ingest_id, input, run_at, outcome, rows, "
                   "written, quarantined, success, result_json, metrics_json) VALUES "
                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return insert.Bind(run.source)
      .Bind(run.ingest_id)
      .Bind(run.input)
      .Bind(run.run_at)
      .Bind(run.outcome)
      .Bind(run.rows)
      .Bind(run.written)
      .Bind(run.quarantined)
      .Bind(int64_t{run.success})
      .Bind(run.result_json)
      .Bind(run.metrics_json)
      .Run();
}

Status SqlRegistry::UpsertBreaker(const BreakerRow& breaker) {
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO breakers(source, state, opened_at, changed_at, bad_share, "
                   "reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                   "state = excluded.state, opened_at = excluded.opened_at, changed_at = "
                   "excluded.changed_at, bad_share = excluded.bad_share, reason = "
                   "excluded.reason"));
  return upsert.Bind(breaker.source)
      .Bind(breaker.state)
      .Bind(breaker.opened_at)
      .Bind(breaker.changed_at)
      .BindReal(breaker.bad_share)
      .Bind(breaker.reason)
      .Run();
}

QualityRunRecord SqlRegistry::ReadRun(const Statement& row) {
  QualityRunRecord run;
  run.id = row.Int(0);
  run.source = row.Text(1);
  run.ingest_id = row.Int(2);
  run.input = row.Text(3);
  run.run_at = row.Int(4);
  run.outcome = row.Text(5);
  run.rows = row.Int(6);
  run.written = row.Int(7);
  run.quarantined = row.Int(8);
  run.success = row.Int(9) != 0;
  run.result_json = row.Text(10);
  run.metrics_json = row.Text(11);
  return run;
}

BreakerRow SqlRegistry::ReadBreaker(const Statement& row) {
  return BreakerRow{row.Text(0), row.Text(1), row.Int(2), row.Int(3), row.Real(4), row.Text(5)};
}

Status SqlRegistry::RecordQualityRun(const QualityRunRecord& run,
                                        const std::optional<BreakerRow>& breaker,
                                        const std::vector<StreamOffset>& offsets) {
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_RETURN_NOT_OK(InsertRun(run));
  if (breaker.has_value()) {
    FST_RETURN_NOT_OK(UpsertBreaker(*breaker));
  }
  FST_RETURN_NOT_OK(MoveOffsets(run.source, run.ingest_id, offsets));
  return tx.Commit();
}

Result<std::vector<QualityRunRecord>> SqlRegistry::ListQualityRuns(const std::string& source,
                                                                      int64_t limit) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare(std::string("SELECT ") + kRunColumns +
                                   " WHERE (? = '' OR source = ?) ORDER BY id DESC LIMIT ?"));
  select.Bind(source).Bind(source).Bind(limit > 0 ? limit : kNoLimit);
  std::vector<QualityRunRecord> runs;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    runs.push_back(ReadRun(select));
  }
  return runs;
}

Result<std::optional<BreakerRow>> SqlRegistry::GetBreaker(const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select, db_->Prepare(std::string("SELECT ") + kBreakerColumns +
                                                     " WHERE source = ?"));
  FST_ASSIGN_OR_RAISE(bool row, select.Bind(source).Step());
  if (!row) return std::nullopt;
  return ReadBreaker(select);
}

Result<std::vector<BreakerRow>> SqlRegistry::ListBreakers() {
  FST_ASSIGN_OR_RAISE(Statement select, db_->Prepare(std::string("SELECT ") + kBreakerColumns +
                                                     " ORDER BY source"));
  std::vector<BreakerRow> breakers;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    breakers.push_back(ReadBreaker(select));
  }
  return breakers;
}

Status SqlRegistry::SetBreaker(const BreakerRow& breaker) { return UpsertBreaker(breaker); }

Result<std::vector<QuarantineFileRecord>> SqlRegistry::ListQuarantineFiles(
    const std::string& source) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT q.ingest_id, q.source, q.path, q.rows, i.input, i.published_at, "
                   "(SELECT COUNT(*) FROM quarantine_replays r WHERE r.path = q.path) "
                   "FROM quarantine_files q JOIN ingests i ON i.id = q.ingest_id "
                   "WHERE q.source = ? AND i.published_at > 0 ORDER BY q.ingest_id, q.rowid"));
  select.Bind(source);
  std::vector<QuarantineFileRecord> files;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    QuarantineFileRecord file;
    file.ingest_id = select.Int(0);
    file.source = select.Text(1);
    file.path = select.Text(2);
    file.rows = select.Int(3);
    file.input = select.Text(4);
    file.published_at = select.Int(5);
    file.replayed_rows = select.Int(6);
    files.push_back(std::move(file));
  }
  return files;
}

Result<std::vector<ReplayMark>> SqlRegistry::ListReplayed(const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT path, row FROM quarantine_replays WHERE source = ? "
                                   "ORDER BY path, row"));
  select.Bind(source);
  std::vector<ReplayMark> marks;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    marks.push_back(ReplayMark{select.Text(0), select.Int(1)});
  }
  return marks;
}

Result<std::vector<FileRecord>> SqlRegistry::ListFiles(const std::string& source) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT f.ingest_id, f.source, f.path, f.rows, f.min_ts, f.max_ts "
                   "FROM files f JOIN ingests i ON i.id = f.ingest_id "
                   "WHERE f.source = ? AND i.published_at > 0 ORDER BY f.ingest_id, f.rowid"));
  select.Bind(source);
  std::vector<FileRecord> files;
  std::map<std::string, size_t> by_path;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    by_path[select.Text(2)] = files.size();
    files.push_back(FileRecord{select.Int(0), select.Text(1), select.Text(2), select.Int(3),
                               select.Int(4), select.Int(5), {}});
  }
  FST_ASSIGN_OR_RAISE(Statement held,
                      db_->Prepare("SELECT path, ingest_id, rows, min_ts, max_ts FROM "
                                   "file_ingests WHERE source = ? ORDER BY path, ingest_id"));
  held.Bind(source);
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, held.Step());
    if (!row) break;
    auto it = by_path.find(held.Text(0));
    if (it == by_path.end()) continue;
    files[it->second].held.push_back(
        IngestSpan{held.Int(1), held.Int(2), held.Int(3), held.Int(4)});
  }
  return files;
}

Result<int64_t> SqlRegistry::BeginCompaction(const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement insert,
                      db_->Prepare("INSERT INTO compactions(source, started_at) VALUES (?, ?) "
                                   "RETURNING id"));
  FST_ASSIGN_OR_RAISE(bool row, insert.Bind(source).Bind(core::NowMicros()).Step());
  if (!row) return db_->Error("BeginCompaction: no id returned");
  const int64_t id = insert.Int(0);
  FST_RETURN_NOT_OK(insert.Run());
  return id;
}

Status SqlRegistry::CommitCompaction(int64_t compaction_id,
                                        const std::vector<std::string>& replaced,
                                        const std::vector<FileRecord>& files) {
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT source, committed_at FROM compactions WHERE id = ?"));
  FST_ASSIGN_OR_RAISE(bool found, select.Bind(compaction_id).Step());
  if (!found) {
    return Status::KeyError(db_->name(), ": compaction ", compaction_id, " was never begun");
  }
  const std::string source = select.Text(0);
  if (select.Int(1) != 0) {
    return Status::Invalid(db_->name(), ": compaction ", compaction_id, " is already committed");
  }
  FST_ASSIGN_OR_RAISE(Statement listed,
                      db_->Prepare("SELECT rows FROM files WHERE source = ? AND path = ?"));
  FST_ASSIGN_OR_RAISE(Statement unlist,
                      db_->Prepare("DELETE FROM files WHERE source = ? AND path = ?"));
  FST_ASSIGN_OR_RAISE(Statement unhold,
                      db_->Prepare("DELETE FROM file_ingests WHERE source = ? AND path = ?"));
  int64_t rows_in = 0;
  for (const auto& path : replaced) {
    listed.Reset();
    FST_ASSIGN_OR_RAISE(bool is_listed, listed.Bind(source).Bind(path).Step());
    if (!is_listed) {
      return Status::Cancelled(db_->name(), ": compaction ", compaction_id, ": file '", path,
                               "' of source '", source,
                               "' is no longer listed (another compaction replaced it)");
    }
    rows_in += listed.Int(0);
    unlist.Reset();
    FST_RETURN_NOT_OK(unlist.Bind(source).Bind(path).Run());
    unhold.Reset();
    FST_RETURN_NOT_OK(unhold.Bind(source).Bind(path).Run());
  }
  FST_ASSIGN_OR_RAISE(Statement ingest,
                      db_->Prepare("SELECT source, published_at FROM ingests WHERE id = ?"));
  FST_ASSIGN_OR_RAISE(Statement insert,
                      db_->Prepare("INSERT INTO files(ingest_id, source, path, rows, min_ts, "
                                   "max_ts) VALUES (?, ?, ?, ?, ?, ?)"));
  FST_ASSIGN_OR_RAISE(Statement hold,
                      db_->Prepare("INSERT INTO file_ingests(source, path, ingest_id, rows, "
                                   "min_ts, max_ts) VALUES (?, ?, ?, ?, ?, ?)"));
  int64_t rows_out = 0;
  for (const auto& file : files) {
    int64_t newest = 0;
    for (const auto& span : file.held) {
      ingest.Reset();
      FST_ASSIGN_OR_RAISE(bool known, ingest.Bind(span.ingest_id).Step());
      if (!known || ingest.Text(0) != source || ingest.Int(1) == 0) {
        return Status::Invalid(db_->name(), ": compacted file '", file.path, "' holds rows of ",
                               "ingest ", span.ingest_id,
                               ", which is not a published ingest of source '", source, "'");
      }
      newest = std::max(newest, span.ingest_id);
      hold.Reset();
      FST_RETURN_NOT_OK(hold.Bind(source)
                            .Bind(file.path)
                            .Bind(span.ingest_id)
                            .Bind(span.rows)
                            .Bind(span.min_ts)
                            .Bind(span.max_ts)
                            .Run());
    }
    if (newest == 0) {
      return Status::Invalid(db_->name(), ": compacted file '", file.path,
                             "' names no ingest it holds");
    }
    insert.Reset();
    FST_RETURN_NOT_OK(insert.Bind(newest)
                          .Bind(source)
                          .Bind(file.path)
                          .Bind(file.rows)
                          .Bind(file.min_ts)
                          .Bind(file.max_ts)
                          .Run());
    rows_out += file.rows;
  }
  if (rows_in != rows_out) {
    return Status::Invalid(db_->name(), ": compaction ", compaction_id, " replaces ", rows_in,
                           " rows by ", rows_out);
  }
  FST_ASSIGN_OR_RAISE(Statement commit,
                      db_->Prepare("UPDATE compactions SET committed_at = ?, files_in = ?, "
                                   "files_out = ?, rows = ? WHERE id = ?"));
  FST_RETURN_NOT_OK(commit.Bind(std::max<int64_t>(core::NowMicros(), 1))
                        .Bind(static_cast<int64_t>(replaced.size()))
                        .Bind(static_cast<int64_t>(files.size()))
                        .Bind(rows_out)
                        .Bind(compaction_id)
                        .Run());
  return tx.Commit();
}

Result<std::vector<CompactionRecord>> SqlRegistry::ListCompactions(const std::string& source,
                                                                      int64_t limit) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT id, source, started_at, committed_at, files_in, files_out, rows "
                   "FROM compactions WHERE source = ? AND committed_at > 0 ORDER BY id DESC "
                   "LIMIT ?"));
  select.Bind(source).Bind(limit > 0 ? limit : kNoLimit);
  std::vector<CompactionRecord> records;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    records.push_back({select.Int(0), select.Text(1), select.Int(2), select.Int(3), select.Int(4),
                       select.Int(5), select.Int(6)});
  }
  return records;
}

Result<std::vector<IngestRecord>> SqlRegistry::ListIngests(const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare(std::string("SELECT ") + kIngestColumns +
                                   " WHERE published_at > 0 AND (? = '' OR source = ?)"
                                   " ORDER BY id DESC"));
  select.Bind(source).Bind(source);
  std::vector<IngestRecord> ingests;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    ingests.push_back(ReadIngest(select));
  }
  return ingests;
}

Result<std::optional<Watermark>> SqlRegistry::GetWatermark(const std::string& view) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT view, end_ts, last_ingest_id FROM watermarks WHERE view = ?"));
  FST_ASSIGN_OR_RAISE(bool row, select.Bind(view).Step());
  if (!row) return std::nullopt;
  return Watermark{select.Text(0), select.Int(1), select.Int(2)};
}

Result<std::optional<Watermark>> SqlRegistry::GetWatermarkAt(const std::string& view,
                                                                int64_t at) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT view, end_ts, last_ingest_id, set_at FROM watermark_history "
                   "WHERE view = ? AND set_at <= ? ORDER BY set_at DESC, rowid DESC LIMIT 1"));
  FST_ASSIGN_OR_RAISE(bool row, select.Bind(view).Bind(at).Step());
  if (!row) return std::nullopt;
  return Watermark{select.Text(0), select.Int(1), select.Int(2), select.Int(3)};
}

Status SqlRegistry::SetOnlineProgress(const OnlineProgress& progress) {
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO online_progress(source, max_event_ts, updated_at) "
                   "VALUES (?, ?, ?) ON CONFLICT(source) DO UPDATE SET "
                   "max_event_ts = excluded.max_event_ts, updated_at = excluded.updated_at"));
  return upsert.Bind(progress.source)
      .Bind(progress.max_event_ts)
      .Bind(progress.updated_at != 0 ? progress.updated_at : core::NowMicros())
      .Run();
}

Result<std::optional<OnlineProgress>> SqlRegistry::GetOnlineProgress(
    const std::string& source) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare("SELECT source, max_event_ts, updated_at FROM online_progress "
                                   "WHERE source = ?"));
  FST_ASSIGN_OR_RAISE(bool row, select.Bind(source).Step());
  if (!row) return std::nullopt;
  return OnlineProgress{select.Text(0), select.Int(1), select.Int(2)};
}

Status SqlRegistry::SetWatermark(const Watermark& watermark) {
  const int64_t set_at = watermark.set_at != 0 ? watermark.set_at : core::NowMicros();
  FST_ASSIGN_OR_RAISE(Transaction tx, Transaction::Begin(db_.get()));
  FST_ASSIGN_OR_RAISE(
      Statement upsert,
      db_->Prepare("INSERT INTO watermarks(view, end_ts, last_ingest_id) VALUES (?, ?, ?) "
                   "ON CONFLICT(view) DO UPDATE SET end_ts = excluded.end_ts, "
                   "last_ingest_id = excluded.last_ingest_id"));
  FST_RETURN_NOT_OK(
      upsert.Bind(watermark.view).Bind(watermark.end_ts).Bind(watermark.last_ingest_id).Run());
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db_->Prepare("INSERT INTO watermark_history(view, end_ts, last_ingest_id, set_at) "
                   "VALUES (?, ?, ?, ?)"));
  FST_RETURN_NOT_OK(insert.Bind(watermark.view)
                        .Bind(watermark.end_ts)
                        .Bind(watermark.last_ingest_id)
                        .Bind(set_at)
                        .Run());
  return tx.Commit();
}

}  // namespace

namespace {

Result<std::unique_ptr<SqlRegistry>> OpenSqlRegistry(const std::string& location) {
  std::unique_ptr<Db> db;
  if (IsPostgresUrl(location)) {
    FST_ASSIGN_OR_RAISE(db, PostgresDb::Open(location));
  } else {
    FST_ASSIGN_OR_RAISE(db, SqliteDb::Open(location));
  }
  auto registry = std::make_unique<SqlRegistry>(std::move(db));
  FST_RETURN_NOT_OK(registry->Migrate());
  return registry;
}

}  // namespace

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& location) {
  FST_ASSIGN_OR_RAISE(auto registry, OpenSqlRegistry(location));
  return registry;
}

Result<std::unique_ptr<Db>> OpenRegistryDb(const std::string& location) {
  FST_ASSIGN_OR_RAISE(auto registry, OpenSqlRegistry(location));
  return registry->ReleaseDb();
}

int RegistrySchemaVersion() { return kSchemaVersion; }

Result<int64_t> SqlRegistry::RecordSkewRun(const SkewRunRecord& run) {
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db_->Prepare("INSERT INTO skew_runs(run_at, service, requests, feature_values, differing, "
                   "report_json) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"));
  FST_ASSIGN_OR_RAISE(bool row, insert.Bind(run.run_at != 0 ? run.run_at : core::NowMicros())
                                    .Bind(run.service)
                                    .Bind(run.requests)
                                    .Bind(run.values)
                                    .Bind(run.differing)
                                    .Bind(run.report_json)
                                    .Step());
  if (!row) return db_->Error("recording a skew run");
  const int64_t id = insert.Int(0);
  FST_RETURN_NOT_OK(insert.Run());
  return id;
}

Result<std::vector<SkewRunRecord>> SqlRegistry::ListSkewRuns(const std::string& service,
                                                                int64_t limit) {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare("SELECT id, run_at, service, requests, feature_values, differing, report_json "
                   "FROM skew_runs WHERE ? = '' OR service = ? ORDER BY id DESC LIMIT ?"));
  select.Bind(service).Bind(service).Bind(limit > 0 ? limit : kNoLimit);
  std::vector<SkewRunRecord> runs;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    runs.push_back({select.Int(0), select.Int(1), select.Text(2), select.Int(3), select.Int(4),
                    select.Int(5), select.Text(6)});
  }
  return runs;
}

namespace {

constexpr char kLineageColumns[] =
    "id, run_id, job, event_type, event_time, rows, error, event_json FROM lineage_events";

Result<std::vector<LineageEventRecord>> ReadLineageEvents(Statement& select) {
  std::vector<LineageEventRecord> events;
  for (;;) {
    FST_ASSIGN_OR_RAISE(bool row, select.Step());
    if (!row) break;
    events.push_back({select.Int(0), select.Text(1), select.Text(2), select.Text(3),
                      select.Int(4), select.Int(5), select.Text(6), select.Text(7)});
  }
  return events;
}

}  // namespace

Result<int64_t> SqlRegistry::RecordLineageEvent(const LineageEventRecord& event) {
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db_->Prepare("INSERT INTO lineage_events(run_id, job, event_type, event_time, rows, error, "
                   "event_json) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"));
  FST_ASSIGN_OR_RAISE(bool row, insert.Bind(event.run_id)
                                    .Bind(event.job)
                                    .Bind(event.event_type)
                                    .Bind(event.event_time != 0 ? event.event_time
                                                                : core::NowMicros())
                                    .Bind(event.rows)
                                    .Bind(event.error)
                                    .Bind(event.event_json)
                                    .Step());
  if (!row) return db_->Error("recording a lineage event");
  const int64_t id = insert.Int(0);
  FST_RETURN_NOT_OK(insert.Run());
  return id;
}

Result<std::vector<LineageEventRecord>> SqlRegistry::ListLineageEvents(const std::string& job,
                                                                          int64_t limit) {
  FST_ASSIGN_OR_RAISE(Statement select,
                      db_->Prepare(std::string("SELECT ") + kLineageColumns +
                                   " WHERE ? = '' OR job = ? ORDER BY id DESC LIMIT ?"));
  select.Bind(job).Bind(job).Bind(limit > 0 ? limit : kNoLimit);
  return ReadLineageEvents(select);
}

Result<std::vector<LineageEventRecord>> SqlRegistry::LatestLineageRuns() {
  FST_ASSIGN_OR_RAISE(
      Statement select,
      db_->Prepare(std::string("SELECT ") + kLineageColumns +
                   " WHERE id IN (SELECT MAX(id) FROM lineage_events WHERE event_type != 'START' "
                   "GROUP BY job) ORDER BY job"));
  return ReadLineageEvents(select);
}

}  // namespace fst::registry
