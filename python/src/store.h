// featherstone._featherstone.Store: one opened repository (repo::RepoContext) for the
// Python SDK. Every engine call runs without the GIL and under the store's mutex (the
// context is not thread-safe); results are converted to Python with the GIL held.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>

#include "featherstone/definitions/model.h"
#include "featherstone/repo/repo_context.h"

namespace fst::python {

// Resolved "view:feature" references (from a list or a feature service) and the join keys
// (name, type name) the views need, in first-mention order.
struct FeatureRefs {
  std::vector<definitions::FeatureRef> refs;
  std::vector<std::pair<std::string, std::string>> join_keys;
  bool on_demand = false;  // some ref is an on-demand feature: online reads need request values
};

class Store {
 public:
  // Opens (creating the registry of) the repository folder `dir`, which must exist.
  explicit Store(const std::string& dir);

  const std::string& dir() const { return dir_; }
  void Close();
  // Reopens the registry so that definitions applied since (by anyone) are seen.
  void Refresh();

  // Definitions: `python_yaml` holds the canonical YAML of the definitions made in Python
  // (its locations name `file_name`), overlaid on the repo's YAML files by (kind, name); none
  // means the YAML files alone, as the CLI reads them.
  // (kind, name, hash, spec JSON text) per object, as apply would store them.
  nanobind::list SpecObjects(const std::optional<std::string>& python_yaml,
                             const std::string& file_name);
  // ([(op "+"|"~"|"-", kind, name, detail) per change], [schema evolution note, ...]), after
  // the checks `featherstone plan` runs (features, contracts, schema evolution).
  nanobind::tuple Plan(const std::optional<std::string>& python_yaml,
                       const std::string& file_name, bool apply);
  // (kind, name, version, hash, spec JSON text, applied_at µs, removed) per record.
  nanobind::list List(const std::string& kind);
  nanobind::list History(const std::string& name);

  // {input, ingest_id, rows, parts, skipped, rows_read, rows_quarantined, has_contract,
  // probe, warnings} (ingest::IngestResult). An empty `path`: the source reads its own input
  // (ingest::IngestSource).
  nanobind::dict Ingest(const std::string& source, const std::string& path);
  // The same for in-memory rows: `stream` is an "arrow_array_stream" capsule; `what` names
  // them in messages ("<DataFrame>").
  nanobind::dict IngestTable(const std::string& source, nanobind::handle stream,
                             const std::string& what);
  // The same for a source that reads its own input (kind postgres): ingest::IngestSource.
  nanobind::dict IngestSource(const std::string& source, bool incremental);
  // The published part files of `source` (registry ListFiles), as (absolute path, [ids of
  // the ingests whose rows it holds]) pairs.
  nanobind::list SourceFiles(const std::string& source);
  // The `input` of every published ingest of `source` (registry ListIngests).
  nanobind::list IngestInputs(const std::string& source);
  // Pushed events (JSON Lines, one object per line; `what` names them in messages) through
  // ingest::PushJsonLines per event (a line that does not decode, or lacks a join key or event
  // time, is quarantined), then, when `refresh`, retrieval::RefreshOnline of the source's
  // views: what `featherstone push` does. The ingest dict plus "materialized":
  // [(view, keys_written)]. Not deduplicated.
  nanobind::dict Push(const std::string& source, const std::string& events,
                      const std::string& what, bool refresh);
  // (view, keys_written) per view.
  nanobind::list Materialize(int64_t end, std::optional<int64_t> start, bool incremental,
                             const std::vector<std::string>& views);

  FeatureRefs Resolve(const std::string& features, const std::string& service);
  // A capsule streaming the training set for the entity rows of `stream` (a capsule), or of
  // the file `path`. `memory_limit` as retrieval::ParseMemoryLimit reads it.
  nanobind::object Historical(const FeatureRefs& refs, nanobind::handle stream,
                              const std::string& timestamp_column, bool full_feature_names,
                              const std::string& memory_limit);
  nanobind::object HistoricalFile(const FeatureRefs& refs, const std::string& path,
                                  const std::string& timestamp_column, bool full_feature_names,
                                  const std::string& memory_limit);
  // A capsule streaming the entity rows of `stream` (a capsule), or else of the file `path`,
  // as a retrieval of `refs` reads them (retrieval::NormalizeEntityTable, ReadEntityFile).
  nanobind::object NormalizedEntities(const FeatureRefs& refs, nanobind::handle stream,
                                      const std::string& path,
                                      const std::string& timestamp_column);
  // The sources behind `refs` (retrieval::HistoricalSources), as a list of
  // (name, [join keys of each view read over it], [published part paths]).
  nanobind::list HistoricalSources(const FeatureRefs& refs);
  // The training set of the entity rows of `stream` computed from the rows of `sources` (a
  // dict: source name -> capsule) instead of the offline store
  // (retrieval::GetHistoricalFeaturesFromRows): the kernel Spark runs on each partition.
  nanobind::object HistoricalFromRows(const FeatureRefs& refs, nanobind::handle stream,
                                      nanobind::dict sources, const std::string& timestamp_column,
                                      bool full_feature_names);
  // The training set over a generated spine (retrieval/spine.h): `spine_text` in ParseSpine's
  // form, or else the rows of `source` at `at` ("" = its timestamp field), computed
  // `chunk_rows` entity rows at a time and returned as one table.
  nanobind::object HistoricalSpine(const FeatureRefs& refs, const std::string& spine_text,
                                   const std::string& source, const std::string& at,
                                   const std::string& timestamp_column, bool full_feature_names,
                                   int64_t chunk_rows, const std::string& memory_limit);
  // Feedback (docs/feedback.md). A capsule streaming the retraining set of the service's
  // logged responses and the outcomes of `labels` (feedback::GetTrainingSet; `join` and
  // `horizon` as the CLI reads them, horizon "" = none).
  nanobind::object TrainingSet(const std::string& service, const std::string& labels,
                               std::optional<int64_t> from, std::optional<int64_t> to,
                               const std::string& join, const std::string& horizon,
                               bool recompute);
  // Ranked catalog rows, as JSON text (lineage::CatalogJson; `featherstone catalog search
  // --json`).
  std::string SearchCatalog(const std::string& text, const std::string& tag,
                            const std::string& owner, const std::string& kind, int64_t limit);
  // The reproduce report of one logged response, as JSON text (feedback::ReproduceJson).
  std::string Reproduce(const std::string& request_id);
  // A skew run over logged responses, recorded in the registry, as JSON text (SkewJson).
  std::string Skew(const std::string& service, std::optional<int64_t> from,
                   std::optional<int64_t> to, int64_t sample);
  // One dict per entity row (join keys, then features); `at` µs, none = now. With a
  // `response_type`, an instance of it (made by its __new__) whose `rows` is that list.
  nanobind::object Online(const FeatureRefs& refs, nanobind::handle entity_rows,
                          std::optional<int64_t> at, bool full_feature_names,
                          nanobind::handle response_type);

 private:
  // The open context; Invalid once closed. Call with the mutex held.
  Result<repo::RepoContext*> Context();

  std::string dir_;
  std::unique_ptr<repo::RepoContext> context_;
  std::mutex mutex_;
};

}  // namespace fst::python
