// Training sets: point-in-time-correct features for entity rows (DESIGN section 3).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

// The features named by a comma-separated "view:feature,..." list or by a feature service
// (exactly one of the two non-empty). Errors: KeyError for unknown views, features or
// services; Invalid for malformed references.
Result<std::vector<definitions::FeatureRef>> ResolveFeatures(const definitions::Repo& repo,
                                                             const std::string& features,
                                                             const std::string& service);

struct HistoricalOptions {
  std::string timestamp_column = "event_timestamp";
  bool full_feature_names = false;  // name columns view__feature
  // > 0: read only the rows of ingests published at or before this time (µs), i.e. what the
  // offline store knew then (reproduce tells late data this way).
  int64_t known_at_us = 0;
  // The OpenLineage job the retrieval is recorded as (docs/lineage.md): the sources' offline
  // data -> "training_set/JOB". Empty: not recorded (a retrieval inside another run, e.g.
  // `reproduce`, or a training set's recompute, which is its own run).
  std::string lineage_job = "historical";
  // Estimated bytes a retrieval holds at once (0: no limit), by passes: entity rows are
  // computed in chunks of EntityChunkRows, and each view's windowed aggregations read their
  // events by key ranges of at most half the limit (offline/window_join.h). Not bounded: the
  // output GetHistoricalFeatures returns (the file and chunked paths write it a chunk at a
  // time), one Parquet row group per part file being read, and a single key's events.
  static constexpr int64_t kDefaultMemoryLimit = int64_t{2} << 30;  // 2GB
  int64_t memory_limit = kDefaultMemoryLimit;
};

// A memory limit as users write it: bytes, or a whole number with a unit KB, MB, GB or TB (also
// K, M, G, T, KiB, ...; case ignored; powers of 1024), e.g. "512MB", "2GB"; "0" or "none" for
// no limit. Errors: Invalid quoting the text and giving the accepted forms.
Result<int64_t> ParseMemoryLimit(const std::string& text);

// Entity rows computed per pass under `memory_limit` (bytes, > 0): half the limit at an
// estimated kEntityRowBytes per row (the row's keys and time, the joins' sort orders and
// matches, its features), at least 1. No limit (0): INT64_MAX.
inline constexpr int64_t kEntityRowBytes = 512;
int64_t EntityChunkRows(int64_t memory_limit);

// The declared columns of entity rows for `refs`: the join keys of the views read (typed as
// their sources declare them), `options.timestamp_column`, then the request fields of
// requested on-demand features. Errors: those of PlanOnDemand and PlanView.
Result<core::Schema> EntitySchema(repo::RepoContext& repo,
                                  const std::vector<definitions::FeatureRef>& refs,
                                  const HistoricalOptions& options);

// Reads the entity file (csv/parquet/jsonl) with the join keys typed as their sources declare
// them, the timestamp column parsed and the request fields of requested on-demand features
// typed as their request schema declares them; other columns are kept. Errors: Invalid
// "FILE: missing column 'C'; the file has: ..." for a missing key, timestamp or request column.
Result<std::shared_ptr<arrow::Table>> ReadEntityFile(repo::RepoContext& repo, const std::string& path,
                                                     const std::vector<definitions::FeatureRef>& refs,
                                                     const HistoricalOptions& options);

// ReadEntityFile for in-memory entity rows (a Python table, an HTTP body): the same columns,
// types and errors, `what` naming the rows in messages.
Result<std::shared_ptr<arrow::Table>> NormalizeEntityTable(
    repo::RepoContext& repo, std::shared_ptr<arrow::RecordBatchReader> rows,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::string& what);

// One output row per entity row, in input order: the entity columns, then the features
// (on-demand ones last, computed from the entity rows' request columns and the stored features
// at each row's timestamp). More entity rows than EntityChunkRows(options.memory_limit) are
// computed a chunk at a time and the chunks' outputs concatenated.
// Errors: Invalid naming a missing join key, timestamp or request column, a null timestamp
// (row), a name clash (naming both); KeyError for unknown features.
Result<std::shared_ptr<arrow::Table>> GetHistoricalFeatures(
    repo::RepoContext& repo, const std::shared_ptr<arrow::Table>& entities,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options);

// GetHistoricalFeatures for the entity rows of a file (ReadEntityFile's columns, types and
// errors), read, computed and handed to `sink` EntityChunkRows(options.memory_limit) rows at a
// time (one chunk, perhaps empty, at least), so memory holds one chunk of entity rows and of
// output. Returns the rows written. Errors: those of ReadEntityFile, GetHistoricalFeatures and
// `sink`.
Result<int64_t> GetHistoricalFeaturesFromFile(
    repo::RepoContext& repo, const std::string& path,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::function<Status(const std::shared_ptr<arrow::Table>&)>& sink);

// GetHistoricalFeatures for entity rows that come in chunks (a spine too large to hold, see
// spine.h): `next` gives the next chunk of entity rows (nullptr at the end), each chunk's
// output goes to `sink` before the next is read, so memory holds one chunk. One lineage run
// covers all chunks. Returns the rows written. Errors: those of GetHistoricalFeatures, `next`
// and `sink`.
Result<int64_t> GetHistoricalFeaturesChunked(
    repo::RepoContext& repo, const std::function<Result<std::shared_ptr<arrow::Table>>()>& next,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::function<Status(const std::shared_ptr<arrow::Table>&)>& sink);

// A source whose offline data a retrieval of some features reads, for an engine that reads
// it itself and hands each partition of it to GetHistoricalFeaturesFromRows (Spark,
// docs/scaling.md).
struct HistoricalSource {
  std::string name;
  // The join keys of each view read over it, as the entity rows and the source name them.
  std::vector<std::vector<std::string>> join_keys;
  std::vector<std::string> paths;  // its published part files, absolute
};

// The sources behind `refs` (through on-demand views to the views they read), by name.
// Errors: those of PlanOnDemand and PlanView; the registry's.
Result<std::vector<HistoricalSource>> HistoricalSources(
    repo::RepoContext& repo, const std::vector<definitions::FeatureRef>& refs);

// GetHistoricalFeatures with each source's rows given in memory instead of read from the
// offline store: `rows` maps a source name to rows of it (its declared columns and __seq, in
// any order, any Arrow types that cast to the declared ones); a source without an entry has
// no rows. Holding every row of the entity rows' keys gives what GetHistoricalFeatures gives
// for them. Not recorded as a lineage run. Errors: those of GetHistoricalFeatures; KeyError
// for a source not applied; Invalid naming the source and column that does not cast.
Result<std::shared_ptr<arrow::Table>> GetHistoricalFeaturesFromRows(
    repo::RepoContext& repo, const std::shared_ptr<arrow::Table>& entities,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::map<std::string, std::shared_ptr<arrow::Table>>& rows);

}  // namespace fst::retrieval
