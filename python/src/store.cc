#include "store.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <iterator>
#include <map>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "arrow_stream.h"
#include "errors.h"
#include "featherstone/core/time.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/feedback/reproduce.h"
#include "featherstone/feedback/skew.h"
#include "featherstone/feedback/training_set.h"
#include "featherstone/lineage/catalog.h"
#include "featherstone/repo/plan_apply.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/spine.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/ingest/push.h"
#include "featherstone/retrieval/materialize.h"
#include "featherstone/retrieval/online_lookup.h"
#include "featherstone/retrieval/refresh_online.h"
#include "json_convert.h"

namespace nb = nanobind;

namespace fst::python {
namespace {

// Runs `fn` (returning Status or Result<T>) without the GIL, under `mutex`; a C++ exception
// becomes an UnknownError status, so nothing escapes into Python as a crash.
template <typename Fn>
auto RunEngine(std::mutex& mutex, Fn&& fn) -> decltype(fn()) {
  nb::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(mutex);
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::UnknownError("internal error: ", e.what());
  } catch (...) {
    return Status::UnknownError("internal error: unknown C++ exception");
  }
}

template <typename T>
T Unwrap(Result<T> result, InvalidAs invalid_as) {
  if (!result.ok()) Raise(result.status(), invalid_as);
  return std::move(result).ValueOrDie();
}

// Replaces the object of `objects` named like `item`, or appends it.
template <typename T>
void Overlay(std::vector<T>* objects, std::vector<T>& items) {
  for (auto& item : items) {
    auto it = std::find_if(objects->begin(), objects->end(),
                           [&](const T& o) { return o.name == item.name; });
    if (it == objects->end()) {
      objects->push_back(std::move(item));
    } else {
      *it = std::move(item);
    }
  }
}

// The desired definitions: the repo's YAML files (when present) with the Python-made ones
// laid over them, validated as one repo.
Result<definitions::Repo> BuildDefinitions(const std::string& dir,
                                           const std::optional<std::string>& python_yaml,
                                           const std::string& file_name) {
  if (!python_yaml.has_value()) return definitions::LoadRepo(dir);
  FST_ASSIGN_OR_RAISE(definitions::Repo python, definitions::ParseYaml(*python_yaml, file_name));
  definitions::Repo repo;
  std::error_code ec;
  if (std::filesystem::is_regular_file(std::filesystem::path(dir) / "featherstone.yaml", ec)) {
    FST_ASSIGN_OR_RAISE(repo, definitions::LoadRepo(dir));
  } else {
    repo.project = python.project;
  }
  Overlay(&repo.entities, python.entities);
  Overlay(&repo.sources, python.sources);
  Overlay(&repo.feature_views, python.feature_views);
  Overlay(&repo.feature_services, python.feature_services);
  Overlay(&repo.on_demand_feature_views, python.on_demand_feature_views);
  FST_RETURN_NOT_OK(definitions::Validate(repo));
  return repo;
}

const char* OpMark(registry::Change::Op op) {
  switch (op) {
    case registry::Change::Op::kAdd: return "+";
    case registry::Change::Op::kRemove: return "-";
    case registry::Change::Op::kChange: return "~";
  }
  return "?";
}

nb::list RecordsToPython(const std::vector<registry::ObjectRecord>& records) {
  nb::list out;
  for (const auto& r : records) {
    out.append(nb::make_tuple(r.object.kind, r.object.name, r.version, r.object.hash,
                              definitions::SpecText(r.object.spec), r.applied_at, r.removed));
  }
  return out;
}

// Join keys (name, type) of the views of `refs` (for an on-demand view, of the views it
// reads), in first-mention order.
Result<std::vector<std::pair<std::string, std::string>>> JoinKeyTypes(
    const definitions::Repo& repo, const std::vector<definitions::FeatureRef>& refs) {
  std::vector<std::string> view_names;
  for (const auto& ref : refs) {
    if (const auto* on_demand = repo.FindOnDemandView(ref.view)) {
      view_names.insert(view_names.end(), on_demand->sources.begin(), on_demand->sources.end());
    } else {
      view_names.push_back(ref.view);
    }
  }
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& view_name : view_names) {
    const definitions::FeatureView* view = repo.FindView(view_name);
    if (view == nullptr) return Status::KeyError("unknown feature view '", view_name, "'");
    const definitions::Source* source = repo.FindSource(view->source);
    for (const auto& key : definitions::JoinKeys(repo, *view)) {
      if (std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; }) !=
          keys.end()) {
        continue;
      }
      const core::ColumnSpec* column =
          source == nullptr ? nullptr : core::FindColumn(source->schema, key);
      keys.emplace_back(key, column == nullptr ? "" : std::string(core::ValueTypeName(column->type)));
    }
  }
  return keys;
}

// The text of an entity key value as the CLI's --entity K=V would carry it.
std::string KeyText(nb::handle value, size_t entity, const std::string& key) {
  PyObject* v = value.ptr();
  if (PyUnicode_Check(v)) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(v, &size);
    if (data == nullptr) throw nb::python_error();
    return std::string(data, static_cast<size_t>(size));
  }
  if (PyBool_Check(v)) return v == Py_True ? "true" : "false";
  if (PyLong_Check(v) || (!PyFloat_Check(v) && PyIndex_Check(v))) {
    nb::object index = nb::steal(PyNumber_Index(v));
    if (!index.is_valid()) throw nb::python_error();
    const long long n = PyLong_AsLongLong(index.ptr());
    if (n == -1 && PyErr_Occurred()) throw nb::python_error();
    return std::to_string(n);
  }
  if (PyFloat_Check(v)) {
    const double d = PyFloat_AsDouble(v);
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return std::to_string(static_cast<long long>(d));
    }
  }
  if (v == Py_None) {
    RaiseMessage("entity row " + std::to_string(entity + 1) + ": join key '" + key + "' is None",
                 InvalidAs::kValidation);
  }
  if (PyBytes_Check(v)) return std::string(PyBytes_AsString(v), PyBytes_Size(v));
  return nb::cast<std::string>(nb::str(value));
}

std::vector<retrieval::EntityKeyText> EntityRows(nb::handle rows) {
  nb::object seq = nb::steal(PySequence_Fast(rows.ptr(), "entity_rows must be a list of dicts"));
  if (!seq.is_valid()) throw nb::python_error();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  std::vector<retrieval::EntityKeyText> entities(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* row = items[i];
    if (!PyDict_Check(row)) {
      throw nb::type_error("entity_rows must be a list of dicts (join key -> value)");
    }
    Py_ssize_t pos = 0;
    PyObject* key = nullptr;
    PyObject* value = nullptr;
    auto& entity = entities[static_cast<size_t>(i)];
    entity.reserve(static_cast<size_t>(PyDict_Size(row)));
    while (PyDict_Next(row, &pos, &key, &value)) {
      if (!PyUnicode_Check(key)) throw nb::type_error("entity row keys must be strings");
      std::string name = nb::cast<std::string>(nb::handle(key));
      std::string text = KeyText(nb::handle(value), static_cast<size_t>(i), name);
      entity.emplace_back(std::move(name), std::move(text));
    }
  }
  return entities;
}

}  // namespace

Store::Store(const std::string& dir) : dir_(dir) {
  auto opened = RunEngine(mutex_, [&] { return repo::RepoContext::Open(dir_); });
  context_ = Unwrap(std::move(opened), InvalidAs::kGeneric);
  dir_ = context_->dir();
}

void Store::Close() {
  const Status closed = RunEngine(mutex_, [&] {
    context_.reset();
    return Status::OK();
  });
  if (!closed.ok()) Raise(closed, InvalidAs::kGeneric);
}

void Store::Refresh() {
  auto opened = RunEngine(mutex_, [&]() -> Result<std::unique_ptr<repo::RepoContext>> {
    context_.reset();  // closes the online store before it is opened again
    return repo::RepoContext::Open(dir_);
  });
  context_ = Unwrap(std::move(opened), InvalidAs::kGeneric);
}

Result<repo::RepoContext*> Store::Context() {
  if (context_ == nullptr) return Status::Invalid("this FeatureStore is closed");
  return context_.get();
}

nb::list Store::SpecObjects(const std::optional<std::string>& python_yaml,
                            const std::string& file_name) {
  auto objects = RunEngine(mutex_, [&]() -> Result<std::vector<definitions::SpecObject>> {
    FST_ASSIGN_OR_RAISE(auto repo, BuildDefinitions(dir_, python_yaml, file_name));
    return definitions::ToSpecObjects(repo);
  });
  nb::list out;
  for (const auto& o : Unwrap(std::move(objects), InvalidAs::kDefinition)) {
    out.append(nb::make_tuple(o.kind, o.name, o.hash, definitions::SpecText(o.spec)));
  }
  return out;
}

nb::tuple Store::Plan(const std::optional<std::string>& python_yaml,
                      const std::string& file_name, bool apply) {
  auto planned = RunEngine(mutex_, [&]() -> Result<repo::PlanResult> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto repo, BuildDefinitions(dir_, python_yaml, file_name));
    FST_ASSIGN_OR_RAISE(auto result, repo::PlanApply(*context, repo, apply));
    if (apply) {
      // The context caches the applied definitions: open it again to see the new ones.
      context_.reset();
      FST_ASSIGN_OR_RAISE(context_, repo::RepoContext::Open(dir_));
    }
    return result;
  });
  const repo::PlanResult result = Unwrap(std::move(planned), InvalidAs::kDefinition);
  if (!result.refused.ok()) Raise(result.refused, InvalidAs::kDefinition);
  nb::list changes;
  for (const auto& c : result.changes) {
    changes.append(nb::make_tuple(OpMark(c.op), c.kind, c.name, c.detail));
  }
  nb::list notes;
  for (const auto& note : result.notes) notes.append(note);
  return nb::make_tuple(changes, notes);
}

nb::list Store::List(const std::string& kind) {
  auto records = RunEngine(mutex_, [&]() -> Result<std::vector<registry::ObjectRecord>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return context->registry().List(kind);
  });
  return RecordsToPython(Unwrap(std::move(records), InvalidAs::kGeneric));
}

nb::list Store::History(const std::string& name) {
  auto records = RunEngine(mutex_, [&]() -> Result<std::vector<registry::ObjectRecord>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return context->registry().History(name);
  });
  return RecordsToPython(Unwrap(std::move(records), InvalidAs::kGeneric));
}

namespace {

nb::dict IngestToPython(const ingest::IngestResult& r) {
  nb::dict out;
  out["input"] = r.input;
  out["ingest_id"] = r.ingest_id;
  out["rows"] = r.rows;
  out["parts"] = r.parts;
  out["skipped"] = r.skipped;
  out["rows_read"] = r.rows_read;
  out["rows_quarantined"] = r.rows_quarantined;
  out["has_contract"] = r.has_contract;
  out["probe"] = r.probe;
  nb::list warnings;
  for (const auto& w : r.warnings) warnings.append(w);
  out["warnings"] = warnings;
  return out;
}

}  // namespace

nb::dict Store::Ingest(const std::string& source, const std::string& path) {
  auto result = RunEngine(mutex_, [&]() -> Result<ingest::IngestResult> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return ingest::IngestFile(*context, source, path, ingest::IngestOptions{});
  });
  return IngestToPython(Unwrap(std::move(result), InvalidAs::kValidation));
}

nb::dict Store::IngestSource(const std::string& source, bool incremental) {
  auto result = RunEngine(mutex_, [&]() -> Result<ingest::IngestResult> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return ingest::IngestSource(*context, source, incremental, ingest::IngestOptions{});
  });
  return IngestToPython(Unwrap(std::move(result), InvalidAs::kValidation));
}

nb::dict Store::IngestTable(const std::string& source, nb::handle stream,
                            const std::string& what) {
  auto reader = Unwrap(ImportStream(stream), InvalidAs::kValidation);
  auto result = RunEngine(mutex_, [&]() -> Result<ingest::IngestResult> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    ingest::IngestOptions options;
    options.skip_same_content = true;  // as a file of the same bytes is skipped
    return ingest::IngestTable(*context, source, std::move(reader), what, options);
  });
  return IngestToPython(Unwrap(std::move(result), InvalidAs::kValidation));
}

nb::list Store::SourceFiles(const std::string& source) {
  std::string root;
  auto files = RunEngine(mutex_, [&]() -> Result<std::vector<registry::FileRecord>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    root = context->OfflineRoot();
    return context->registry().ListFiles(source);
  });
  nb::list out;
  for (const auto& file : Unwrap(std::move(files), InvalidAs::kGeneric)) {
    nb::list ids;
    for (const auto& span : registry::IngestSpans(file)) ids.append(span.ingest_id);
    out.append(nb::make_tuple(root + "/" + file.path, ids));
  }
  return out;
}

nb::list Store::IngestInputs(const std::string& source) {
  auto ingests = RunEngine(mutex_, [&]() -> Result<std::vector<registry::IngestRecord>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return context->registry().ListIngests(source);
  });
  nb::list out;
  for (const auto& ingest : Unwrap(std::move(ingests), InvalidAs::kGeneric)) {
    out.append(ingest.input);
  }
  return out;
}

nb::dict Store::Push(const std::string& source, const std::string& events,
                      const std::string& what, bool refresh) {
  auto pushed = RunEngine(mutex_, [&]() -> Result<ingest::IngestResult> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    ingest::IngestOptions options;
    options.now_us = core::NowMicros();
    options.per_event = true;  // as `featherstone push`: a bad event is quarantined, not fatal
    return ingest::PushJsonLines(*context, source, events, what, options);
  });
  const ingest::IngestResult result = Unwrap(std::move(pushed), InvalidAs::kValidation);
  nb::dict out = IngestToPython(result);
  nb::list materialized;
  if (refresh) {
    auto refreshed = RunEngine(mutex_, [&]() -> Result<std::vector<retrieval::ViewMaterialized>> {
      FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
      return retrieval::RefreshOnline(*context, source);
    });
    if (!refreshed.ok()) {
      // The rows are published: say so, as POST /push does.
      Raise(refreshed.status().WithMessage(
                "rows written to the offline store (ingest #", result.ingest_id,
                ") but the online store was not refreshed: ", refreshed.status().message()),
            InvalidAs::kGeneric);
    }
    for (const auto& v : *refreshed) materialized.append(nb::make_tuple(v.view, v.keys_written));
  }
  out["materialized"] = materialized;
  return out;
}

nb::list Store::Materialize(int64_t end, std::optional<int64_t> start, bool incremental,
                            const std::vector<std::string>& views) {
  retrieval::MaterializeOptions options;
  options.end = end;
  options.start = start;
  options.incremental = incremental;
  options.views = views;
  auto result = RunEngine(mutex_, [&]() -> Result<std::vector<retrieval::ViewMaterialized>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return retrieval::Materialize(*context, options);
  });
  nb::list out;
  for (const auto& v : Unwrap(std::move(result), InvalidAs::kGeneric)) {
    out.append(nb::make_tuple(v.view, v.keys_written));
  }
  return out;
}

FeatureRefs Store::Resolve(const std::string& features, const std::string& service) {
  auto result = RunEngine(mutex_, [&]() -> Result<FeatureRefs> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, context->Applied());
    FeatureRefs out;
    FST_ASSIGN_OR_RAISE(out.refs, retrieval::ResolveFeatures(*applied, features, service));
    FST_ASSIGN_OR_RAISE(out.join_keys, JoinKeyTypes(*applied, out.refs));
    for (const auto& ref : out.refs) {
      if (applied->FindOnDemandView(ref.view) != nullptr) out.on_demand = true;
    }
    return out;
  });
  return Unwrap(std::move(result), InvalidAs::kGeneric);
}

nb::object Store::Historical(const FeatureRefs& refs, nb::handle stream,
                             const std::string& timestamp_column, bool full_feature_names,
                             const std::string& memory_limit) {
  auto reader = Unwrap(ImportStream(stream), InvalidAs::kValidation);
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  options.full_feature_names = full_feature_names;
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    FST_ASSIGN_OR_RAISE(options.memory_limit, retrieval::ParseMemoryLimit(memory_limit));
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto entities, retrieval::NormalizeEntityTable(
                                           *context, std::move(reader), refs.refs, options,
                                           "entity rows"));
    return retrieval::GetHistoricalFeatures(*context, entities, refs.refs, options);
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

nb::object Store::HistoricalFile(const FeatureRefs& refs, const std::string& path,
                                 const std::string& timestamp_column, bool full_feature_names,
                                 const std::string& memory_limit) {
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  options.full_feature_names = full_feature_names;
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    FST_ASSIGN_OR_RAISE(options.memory_limit, retrieval::ParseMemoryLimit(memory_limit));
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    std::vector<std::shared_ptr<arrow::Table>> chunks;
    auto sink = [&](const std::shared_ptr<arrow::Table>& chunk) {
      chunks.push_back(chunk);
      return Status::OK();
    };
    FST_RETURN_NOT_OK(
        retrieval::GetHistoricalFeaturesFromFile(*context, path, refs.refs, options, sink)
            .status());
    return arrow::ConcatenateTables(chunks);
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

nb::object Store::NormalizedEntities(const FeatureRefs& refs, nb::handle stream,
                                     const std::string& path,
                                     const std::string& timestamp_column) {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  if (!stream.is_none()) reader = Unwrap(ImportStream(stream), InvalidAs::kValidation);
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    if (reader == nullptr) return retrieval::ReadEntityFile(*context, path, refs.refs, options);
    return retrieval::NormalizeEntityTable(*context, std::move(reader), refs.refs, options,
                                           "entity rows");
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

nb::list Store::HistoricalSources(const FeatureRefs& refs) {
  auto sources = RunEngine(mutex_, [&]() -> Result<std::vector<retrieval::HistoricalSource>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return retrieval::HistoricalSources(*context, refs.refs);
  });
  nb::list out;
  for (const auto& source : Unwrap(std::move(sources), InvalidAs::kValidation)) {
    nb::list keys;
    for (const auto& view_keys : source.join_keys) keys.append(nb::cast(view_keys));
    out.append(nb::make_tuple(source.name, keys, nb::cast(source.paths)));
  }
  return out;
}

nb::object Store::HistoricalFromRows(const FeatureRefs& refs, nb::handle stream,
                                     nb::dict sources, const std::string& timestamp_column,
                                     bool full_feature_names) {
  auto reader = Unwrap(ImportStream(stream), InvalidAs::kValidation);
  std::map<std::string, std::shared_ptr<arrow::RecordBatchReader>> source_readers;
  for (auto [name, capsule] : sources) {
    source_readers[nb::cast<std::string>(name)] =
        Unwrap(ImportStream(capsule), InvalidAs::kValidation);
  }
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  options.full_feature_names = full_feature_names;
  options.lineage_job.clear();
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    std::map<std::string, std::shared_ptr<arrow::Table>> rows;
    for (auto& [name, source_reader] : source_readers) {
      FST_ASSIGN_OR_RAISE(rows[name], source_reader->ToTable());
    }
    FST_ASSIGN_OR_RAISE(auto entities, retrieval::NormalizeEntityTable(
                                           *context, std::move(reader), refs.refs, options,
                                           "entity rows"));
    return retrieval::GetHistoricalFeaturesFromRows(*context, entities, refs.refs, options, rows);
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

nb::object Store::HistoricalSpine(const FeatureRefs& refs, const std::string& spine_text,
                                  const std::string& source, const std::string& at,
                                  const std::string& timestamp_column, bool full_feature_names,
                                  int64_t chunk_rows, const std::string& memory_limit) {
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  options.full_feature_names = full_feature_names;
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    FST_ASSIGN_OR_RAISE(options.memory_limit, retrieval::ParseMemoryLimit(memory_limit));
    retrieval::Spine spine;
    if (!spine_text.empty()) {
      FST_ASSIGN_OR_RAISE(spine, retrieval::ParseSpine(spine_text));
    } else {
      spine.source = source;
      spine.at_column = at;
    }
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto reader,
                        retrieval::OpenSpine(*context, spine, refs.refs, options, chunk_rows));
    std::vector<std::shared_ptr<arrow::Table>> chunks;
    auto next = [&]() { return reader->Next(); };
    auto sink = [&](const std::shared_ptr<arrow::Table>& chunk) {
      chunks.push_back(chunk);
      return Status::OK();
    };
    FST_RETURN_NOT_OK(
        retrieval::GetHistoricalFeaturesChunked(*context, next, refs.refs, options, sink)
            .status());
    return arrow::ConcatenateTables(chunks);
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

nb::object Store::TrainingSet(const std::string& service, const std::string& labels,
                              std::optional<int64_t> from, std::optional<int64_t> to,
                              const std::string& join, const std::string& horizon,
                              bool recompute) {
  auto table = RunEngine(mutex_, [&]() -> Result<std::shared_ptr<arrow::Table>> {
    feedback::TrainingSetOptions options;
    options.service = service;
    options.labels = labels;
    if (from.has_value()) options.from_us = *from;
    if (to.has_value()) options.to_us = *to;
    FST_ASSIGN_OR_RAISE(options.join, feedback::ParseLabelJoin(join));
    if (!horizon.empty()) {
      auto parsed = core::ParseDuration(horizon);
      if (!parsed.ok()) return Status::Invalid("horizon: ", parsed.status().message());
      options.horizon_us = *parsed;
    }
    options.recompute = recompute;
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto set, feedback::GetTrainingSet(*context, options));
    return set.table;
  });
  return Unwrap(ExportTable(Unwrap(std::move(table), InvalidAs::kValidation)),
                InvalidAs::kGeneric);
}

std::string Store::SearchCatalog(const std::string& text, const std::string& tag,
                                 const std::string& owner, const std::string& kind,
                                 int64_t limit) {
  auto rows = RunEngine(mutex_, [&]() -> Result<std::string> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto result,
                        lineage::SearchCatalog(context->registry(),
                                               {text, tag, owner, kind, limit}));
    return lineage::CatalogJson(result).dump();
  });
  return Unwrap(std::move(rows), InvalidAs::kGeneric);
}

std::string Store::Reproduce(const std::string& request_id) {
  auto report = RunEngine(mutex_, [&]() -> Result<std::string> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    std::vector<feedback::LoggedRequest> requests;
    FST_ASSIGN_OR_RAISE(requests.emplace_back(), feedback::FindLoggedRequest(*context, request_id));
    FST_ASSIGN_OR_RAISE(auto checks, feedback::CheckServed(*context, requests));
    return feedback::ReproduceJson(requests.front(), checks).dump();
  });
  return Unwrap(std::move(report), InvalidAs::kValidation);
}

std::string Store::Skew(const std::string& service, std::optional<int64_t> from,
                        std::optional<int64_t> to, int64_t sample) {
  auto report = RunEngine(mutex_, [&]() -> Result<std::string> {
    feedback::SkewOptions options;
    options.service = service;
    if (from.has_value()) options.from_us = *from;
    if (to.has_value()) options.to_us = *to;
    options.sample = sample;
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    FST_ASSIGN_OR_RAISE(auto result, feedback::MeasureSkew(*context, options));
    return feedback::SkewJson(result).dump();
  });
  return Unwrap(std::move(report), InvalidAs::kValidation);
}

nb::object Store::Online(const FeatureRefs& refs, nb::handle entity_rows,
                         std::optional<int64_t> at, bool full_feature_names,
                         nb::handle response_type) {
  auto entities = EntityRows(entity_rows);
  const int64_t time = at.has_value() ? *at : core::NowMicros();
  // Request values of on-demand features ride in the entity rows beside the join keys.
  std::vector<retrieval::EntityKeyText> requests;
  if (refs.on_demand) {
    requests.resize(entities.size());
    for (size_t i = 0; i < entities.size(); ++i) {
      auto& entity = entities[i];
      auto is_key = [&](const auto& field) {
        return std::any_of(refs.join_keys.begin(), refs.join_keys.end(),
                           [&](const auto& key) { return key.first == field.first; });
      };
      auto split = std::stable_partition(entity.begin(), entity.end(), is_key);
      requests[i].assign(std::make_move_iterator(split), std::make_move_iterator(entity.end()));
      entity.erase(split, entity.end());
    }
  }
  auto online = RunEngine(mutex_, [&]() -> Result<retrieval::OnlineRows> {
    FST_ASSIGN_OR_RAISE(repo::RepoContext * context, Context());
    return retrieval::GetOnlineFeatures(*context, refs.refs, entities, time, full_feature_names,
                                        requests);
  });
  nb::object rows = ToPython(Unwrap(std::move(online), InvalidAs::kValidation));
  if (response_type.is_none()) return rows;
  // response_type.__new__ without its Python __init__: the hot path runs no bytecode here.
  nb::object response = response_type.attr("__new__")(response_type);
  response.attr("rows") = rows;
  return response;
}

}  // namespace fst::python
