// featherstone._featherstone: the bindings of the Python SDK (python/featherstone). The
// Python package imports pyarrow first, so this module and pyarrow share one libarrow.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "arrow_stream.h"
#include "errors.h"
#include "featherstone/connectors/table_writer.h"
#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"
#include "store.h"

namespace nb = nanobind;
using fst::python::FeatureRefs;
using fst::python::InvalidAs;
using fst::python::Store;

namespace {

int64_t ParseTimestamp(const std::string& text) {
  auto parsed = fst::core::ParseTimestamp(text);
  if (!parsed.ok()) fst::python::Raise(parsed.status(), InvalidAs::kValidation);
  return *parsed;
}

int64_t ParseDuration(const std::string& text) {
  auto parsed = fst::core::ParseDuration(text);
  if (!parsed.ok()) fst::python::Raise(parsed.status(), InvalidAs::kDefinition);
  return *parsed;
}

nb::list RefNames(const FeatureRefs& refs) {
  nb::list out;
  for (const auto& ref : refs.refs) out.append(ref.ToString());
  return out;
}

// connectors::WriteTableFile of the rows of `stream` (a capsule): what `featherstone
// historical` writes, for a training set computed in Python (the Spark engine).
void WriteTableFile(nb::handle stream, const std::string& path) {
  auto reader = fst::python::ImportStream(stream);
  if (!reader.ok()) fst::python::Raise(reader.status(), InvalidAs::kValidation);
  fst::Status written;
  {
    nb::gil_scoped_release release;
    auto table = (*reader)->ToTable();
    written = table.ok() ? fst::connectors::WriteTableFile(**table, path) : table.status();
  }
  if (!written.ok()) fst::python::Raise(written, InvalidAs::kValidation);
}

}  // namespace

NB_MODULE(_featherstone, m) {
  m.doc() = "Bindings of the Featherstone engine; use the featherstone package instead.";
  fst::python::InitErrors();
  const fst::Status status = fst::core::EnsureArrowCompute();
  if (!status.ok()) throw nb::import_error(status.message().c_str());

  m.def("parse_timestamp", &ParseTimestamp, nb::arg("text"),
        "ISO-8601 (no offset = UTC) or integer epoch s/ms/us text -> UTC microseconds.");
  m.def("format_timestamp", &fst::core::FormatTimestamp, nb::arg("micros"),
        "UTC microseconds -> '2026-01-02T03:04:05Z'.");
  m.def("parse_duration", &ParseDuration, nb::arg("text"), "'30d', '12h', '0' -> microseconds.");
  m.def("format_duration", &fst::core::FormatDuration, nb::arg("micros"),
        "Microseconds -> the shortest duration text ('30d').");
  m.def("now_micros", &fst::core::NowMicros, "Wall-clock now, UTC microseconds.");
  m.def("write_table_file", &WriteTableFile, nb::arg("stream"), nb::arg("path"),
        "Writes an Arrow stream to .csv/.parquet/.jsonl as `featherstone historical` does.");

  nb::class_<FeatureRefs>(m, "FeatureRefs", "Resolved feature references of one request.")
      .def_prop_ro("names", &RefNames, "'view:feature' per feature, in request order.")
      .def_ro("join_keys", &FeatureRefs::join_keys,
              "(join key, type name) pairs the requested views need.")
      .def("__len__", [](const FeatureRefs& r) { return r.refs.size(); });

  nb::class_<Store>(m, "Store", "An opened feature repository (engine side).")
      .def(nb::init<const std::string&>(), nb::arg("dir"))
      .def_prop_ro("dir", &Store::dir)
      .def("close", &Store::Close)
      .def("refresh", &Store::Refresh)
      .def("spec_objects", &Store::SpecObjects, nb::arg("python_yaml").none(),
           nb::arg("file_name"))
      .def("plan", &Store::Plan, nb::arg("python_yaml").none(), nb::arg("file_name"),
           nb::arg("apply"))
      .def("list", &Store::List, nb::arg("kind"))
      .def("history", &Store::History, nb::arg("name"))
      .def("ingest", &Store::Ingest, nb::arg("source"), nb::arg("path"))
      .def("ingest_source", &Store::IngestSource, nb::arg("source"), nb::arg("incremental"))
      .def("ingest_table", &Store::IngestTable, nb::arg("source"), nb::arg("stream"),
           nb::arg("what"))
      .def("source_files", &Store::SourceFiles, nb::arg("source"))
      .def("ingest_inputs", &Store::IngestInputs, nb::arg("source"))
      .def("push", &Store::Push, nb::arg("source"), nb::arg("events"), nb::arg("what"),
           nb::arg("refresh"))
      .def("materialize", &Store::Materialize, nb::arg("end"), nb::arg("start").none(),
           nb::arg("incremental"), nb::arg("views"))
      .def("resolve", &Store::Resolve, nb::arg("features"), nb::arg("service"))
      .def("historical", &Store::Historical, nb::arg("refs"), nb::arg("stream"),
           nb::arg("timestamp_column"), nb::arg("full_feature_names"), nb::arg("memory_limit"))
      .def("historical_file", &Store::HistoricalFile, nb::arg("refs"), nb::arg("path"),
           nb::arg("timestamp_column"), nb::arg("full_feature_names"), nb::arg("memory_limit"))
      .def("normalized_entities", &Store::NormalizedEntities, nb::arg("refs"),
           nb::arg("stream").none(), nb::arg("path"), nb::arg("timestamp_column"))
      .def("historical_sources", &Store::HistoricalSources, nb::arg("refs"))
      .def("historical_from_rows", &Store::HistoricalFromRows, nb::arg("refs"),
           nb::arg("stream"), nb::arg("sources"), nb::arg("timestamp_column"),
           nb::arg("full_feature_names"))
      .def("historical_spine", &Store::HistoricalSpine, nb::arg("refs"), nb::arg("spine_text"),
           nb::arg("source"), nb::arg("at"), nb::arg("timestamp_column"),
           nb::arg("full_feature_names"), nb::arg("chunk_rows"), nb::arg("memory_limit"))
      .def("training_set", &Store::TrainingSet, nb::arg("service"), nb::arg("labels"),
           nb::arg("start").none(), nb::arg("end").none(), nb::arg("join"), nb::arg("horizon"),
           nb::arg("recompute"))
      .def("reproduce", &Store::Reproduce, nb::arg("request_id"))
      .def("search_catalog", &Store::SearchCatalog, nb::arg("text"), nb::arg("tag"),
           nb::arg("owner"), nb::arg("kind"), nb::arg("limit"))
      .def("skew", &Store::Skew, nb::arg("service"), nb::arg("start").none(),
           nb::arg("end").none(), nb::arg("sample"))
      .def("online", &Store::Online, nb::arg("refs"), nb::arg("entity_rows"),
           nb::arg("at").none(), nb::arg("full_feature_names"),
           nb::arg("response_type").none() = nb::none());
}
