#include "featherstone/lineage/run_event.h"

#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "featherstone/core/time.h"

namespace fst::lineage {
namespace {

using ojson = nlohmann::ordered_json;

constexpr char kMetricsSchema[] =
    "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json"
    "#/$defs/DataQualityMetricsInputDatasetFacet";
constexpr char kAssertionsSchema[] =
    "https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json"
    "#/$defs/DataQualityAssertionsDatasetFacet";
constexpr char kStatisticsSchema[] =
    "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json"
    "#/$defs/OutputStatisticsOutputDatasetFacet";
constexpr char kErrorSchema[] =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json"
    "#/$defs/ErrorMessageRunFacet";

ojson DatasetJson(const Dataset& dataset, const char* extra_key, const nlohmann::json& extra) {
  ojson out = {{"namespace", dataset.ns}, {"name", dataset.name}};
  out["facets"] = ojson::parse(dataset.facets.dump());
  if (!extra.empty()) out[extra_key] = ojson::parse(extra.dump());
  return out;
}

bool IsNumber(const nlohmann::json& value) { return value.is_number(); }

}  // namespace

std::string NewRunId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t high = random(), low = random();
  // Version 4 in the 13th hex digit, variant 10xx in the 17th.
  const uint64_t h = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const uint64_t l = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", h >> 32, (h >> 16) & 0xffff,
                     h & 0xffff, l >> 48, l & 0xffffffffffffULL);
}

ojson Facet(const std::string& schema_url) {
  return {{"_producer", kProducer}, {"_schemaURL", schema_url}};
}

ojson ToJson(const RunEvent& event) {
  ojson run = {{"runId", event.run_id}, {"facets", ojson::object()}};
  if (event.event_type == "FAIL") {
    ojson error = Facet(kErrorSchema);
    error["message"] = event.error;
    error["programmingLanguage"] = "C++";
    run["facets"]["errorMessage"] = std::move(error);
  }
  ojson inputs = ojson::array(), outputs = ojson::array();
  for (const auto& d : event.inputs) inputs.push_back(DatasetJson(d, "inputFacets", d.input_facets));
  for (const auto& d : event.outputs) {
    outputs.push_back(DatasetJson(d, "outputFacets", d.output_facets));
  }
  return {{"eventType", event.event_type},
          {"eventTime", core::FormatTimestamp(event.event_time)},
          {"run", std::move(run)},
          {"job",
           {{"namespace", event.job_namespace}, {"name", event.job_name}, {"facets", ojson::object()}}},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"producer", kProducer},
          {"schemaURL", kRunEventSchema}};
}

nlohmann::json QualityFacets(const nlohmann::json& metrics, const nlohmann::json& result) {
  nlohmann::json facets = nlohmann::json::object();
  if (metrics.is_object()) {
    nlohmann::json facet = nlohmann::json::parse(Facet(kMetricsSchema).dump());
    if (metrics.contains("row_count") && metrics["row_count"].is_number_integer()) {
      facet["rowCount"] = metrics["row_count"];
    }
    nlohmann::json columns = nlohmann::json::object();
    if (metrics.contains("columns") && metrics["columns"].is_object()) {
      for (const auto& [name, m] : metrics["columns"].items()) {
        if (!m.is_object()) continue;
        nlohmann::json column = nlohmann::json::object();
        if (m.contains("null_count") && IsNumber(m["null_count"])) column["nullCount"] = m["null_count"];
        if (m.contains("distinct_estimate") && IsNumber(m["distinct_estimate"])) {
          column["distinctCount"] = m["distinct_estimate"];
        }
        if (m.contains("count") && IsNumber(m["count"])) column["count"] = m["count"];
        // Timestamps and dates carry min/max as text, which the facet does not take.
        if (m.contains("min") && IsNumber(m["min"])) column["min"] = m["min"];
        if (m.contains("max") && IsNumber(m["max"])) column["max"] = m["max"];
        if (m.contains("mean") && IsNumber(m["mean"]) && m.contains("count") &&
            m.contains("null_count") && IsNumber(m["count"]) && IsNumber(m["null_count"])) {
          column["sum"] = m["mean"].get<double>() *
                          (m["count"].get<double>() - m["null_count"].get<double>());
        }
        columns[name] = std::move(column);
      }
    }
    facet["columnMetrics"] = std::move(columns);
    facets["dataQualityMetrics"] = std::move(facet);
  }
  if (result.is_object() && result.contains("results") && result["results"].is_array()) {
    nlohmann::json facet = nlohmann::json::parse(Facet(kAssertionsSchema).dump());
    nlohmann::json assertions = nlohmann::json::array();
    for (const auto& r : result["results"]) {
      if (!r.is_object() || !r.contains("expectation_config") || !r.contains("success")) continue;
      const auto& config = r["expectation_config"];
      nlohmann::json assertion = {
          {"assertion", config.value("expectation_type", std::string("unknown"))},
          {"success", r["success"].is_boolean() && r["success"].get<bool>()}};
      if (config.contains("kwargs") && config["kwargs"].contains("column") &&
          config["kwargs"]["column"].is_string()) {
        assertion["column"] = config["kwargs"]["column"];
      }
      if (config.contains("meta") && config["meta"].contains("severity")) {
        assertion["severity"] = config["meta"]["severity"];
      }
      assertions.push_back(std::move(assertion));
    }
    facet["assertions"] = std::move(assertions);
    facets["dataQualityAssertions"] = std::move(facet);
  }
  return facets;
}

nlohmann::json OutputStatistics(int64_t rows) {
  nlohmann::json facet = nlohmann::json::parse(Facet(kStatisticsSchema).dump());
  facet["rowCount"] = rows;
  return {{"outputStatistics", std::move(facet)}};
}

Dataset FileDataset(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return {"file", error ? path : absolute.lexically_normal().string()};
}

}  // namespace fst::lineage
