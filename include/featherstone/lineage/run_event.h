// OpenLineage RunEvents (spec 2-0-2) of ingest and materialize runs, and the data-quality
// facets built from a contract's results (docs/lineage.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fst::lineage {

// The `producer` of every event and facet.
inline constexpr char kProducer[] = "https://github.com/featherstone/featherstone";
inline constexpr char kRunEventSchema[] =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

// An input or output dataset. Namespaces: "file" for a file read by path (name: the absolute
// path), else the project (names "offline/SOURCE", "online/VIEW", "input/WHAT").
struct Dataset {
  std::string ns;
  std::string name;
  nlohmann::json facets = nlohmann::json::object();
  nlohmann::json input_facets = nlohmann::json::object();   // inputs only
  nlohmann::json output_facets = nlohmann::json::object();  // outputs only
};

struct RunEvent {
  std::string event_type;  // "START" | "COMPLETE" | "FAIL"
  int64_t event_time = 0;  // µs
  std::string run_id;      // UUID
  std::string job_namespace;
  std::string job_name;
  std::vector<Dataset> inputs;
  std::vector<Dataset> outputs;
  std::string error;  // FAIL: becomes the errorMessage run facet
};

// A random (version 4) UUID in its canonical lower-case text form.
std::string NewRunId();

// The event in OpenLineage's JSON shape.
nlohmann::ordered_json ToJson(const RunEvent& event);

// A facet's required header: {_producer, _schemaURL}.
nlohmann::ordered_json Facet(const std::string& schema_url);

// The input facets `dataQualityMetrics` and `dataQualityAssertions` of a contract run, from
// its per-column metrics and its Great Expectations result (quality::RunReport, as the
// registry stores them in QualityRunRecord). Malformed parts are left out, never an error.
nlohmann::json QualityFacets(const nlohmann::json& metrics, const nlohmann::json& result);

// The output facet `outputStatistics` with `rows` written.
nlohmann::json OutputStatistics(int64_t rows);

// A file input: namespace "file", name the absolute path of `path`.
Dataset FileDataset(const std::string& path);

}  // namespace fst::lineage
