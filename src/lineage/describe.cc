#include "featherstone/lineage/describe.h"

#include <sstream>

#include "featherstone/core/closest_name.h"
#include "featherstone/core/time.h"
#include "featherstone/definitions/log_source_name.h"
#include "featherstone/lineage/graph.h"

namespace fst::lineage {
namespace {

using ojson = nlohmann::ordered_json;
using nlohmann::json;

ojson Timestamp(int64_t micros) { return core::FormatTimestamp(micros); }

ojson Versions(const std::vector<registry::ObjectRecord>& history) {
  ojson versions = ojson::array();
  const json* previous = nullptr;
  for (const auto& record : history) {
    std::string changes;
    if (record.removed) {
      changes = "removed";
    } else if (previous == nullptr) {
      changes = "created";
    } else {
      changes = registry::DescribeChange(*previous, record.object.spec);
    }
    versions.push_back({{"version", record.version},
                        {"applied_at", Timestamp(record.applied_at)},
                        {"hash", record.object.hash},
                        {"removed", record.removed},
                        {"changes", changes}});
    previous = &record.object.spec;
  }
  return versions;
}

// The object's neighbourhood in the lineage graph (empty for kinds the graph has no node of,
// such as entities, and for removed objects).
Result<ojson> LineageOf(const definitions::Repo& applied, registry::Registry& registry,
                        const std::string& kind, const std::string& name) {
  FST_ASSIGN_OR_RAISE(Graph graph, BuildGraph(applied, registry));
  ojson out = {{"producers", ojson::array()}, {"consumers", ojson::array()}};
  auto around = Around(graph, name);
  if (!around.ok()) {
    out["nodes"] = ojson::array();
    out["edges"] = ojson::array();
    return out;
  }
  const std::string id = kind + ":" + name;
  for (const auto& edge : around->edges) {
    if (edge.to == id) out["producers"].push_back(edge.from);
    if (edge.from == id) out["consumers"].push_back(edge.to);
  }
  ojson graph_json = GraphJson(*around);
  out["nodes"] = std::move(graph_json["nodes"]);
  out["edges"] = std::move(graph_json["edges"]);
  return out;
}

// Rows ingested into a source; a feature view's watermark and how far behind `now` it is; the
// logged rows of a feature service (one per served entity) published into its log source.
Result<ojson> DataOf(registry::Registry& registry, const std::string& kind,
                     const std::string& name, int64_t now) {
  ojson data = ojson::object();
  if (kind == "feature_service") {
    const std::string log = definitions::LogSourceName(name);
    FST_ASSIGN_OR_RAISE(auto publishes, registry.ListIngests(log));
    int64_t rows = 0;
    for (const auto& publish : publishes) rows += publish.rows;
    data["log_source"] = log;
    data["logged_rows"] = rows;
    // Newest first.
    data["last_log_publish_at"] =
        publishes.empty() ? ojson(nullptr) : Timestamp(publishes.front().published_at);
  } else if (kind == "source") {
    FST_ASSIGN_OR_RAISE(auto ingests, registry.ListIngests(name));
    int64_t rows = 0;
    for (const auto& ingest : ingests) rows += ingest.rows;
    data["rows"] = rows;
    data["ingests"] = ingests.size();
    // Newest first.
    data["last_ingest_at"] =
        ingests.empty() ? ojson(nullptr) : Timestamp(ingests.front().published_at);
    FST_ASSIGN_OR_RAISE(auto files, registry.ListFiles(name));
    data["files"] = files.size();
    FST_ASSIGN_OR_RAISE(auto compactions, registry.ListCompactions(name, 1));
    data["last_compaction_at"] =
        compactions.empty() ? ojson(nullptr) : Timestamp(compactions.front().committed_at);
  } else if (kind == "feature_view") {
    FST_ASSIGN_OR_RAISE(auto watermark, registry.GetWatermark(name));
    if (!watermark.has_value()) {
      data["watermark"] = nullptr;
    } else {
      data["watermark"] = Timestamp(watermark->end_ts);
      data["materialized_at"] =
          watermark->set_at > 0 ? Timestamp(watermark->set_at) : ojson(nullptr);
      data["watermark_age_seconds"] = (now - watermark->end_ts) / core::kMicrosPerSecond;
    }
  }
  return data;
}

Result<std::vector<registry::ObjectRecord>> HistoryOrHint(const definitions::Repo& applied,
                                                          registry::Registry& registry,
                                                          const std::string& name) {
  FST_ASSIGN_OR_RAISE(auto history, registry.History(name));
  if (!history.empty()) return history;
  std::vector<std::string> names;
  for (const auto& object : definitions::ToSpecObjects(applied)) names.push_back(object.name);
  const std::string closest = core::ClosestName(name, names);
  return Status::KeyError("nothing named '", name, "' is applied",
                          closest.empty() ? "" : "; did you mean '" + closest + "'?");
}

// Inline text of a scalar, a list or a map: "a, b", "{k: v}".
std::string Inline(const ojson& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ", ") + Inline(item);
    return out;
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& [key, item] : value.items()) {
      out += (out.empty() ? "" : ", ") + key + ": " + Inline(item);
    }
    return "{" + out + "}";
  }
  return value.dump();
}

bool Blank(const ojson& value) {
  return value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
         ((value.is_array() || value.is_object()) && value.empty());
}

// The spec as indented "key: value" lines; a list of objects as one line per item.
void PrintSpec(std::ostream& out, const ojson& spec, const std::string& indent) {
  for (const auto& [key, value] : spec.items()) {
    if (key == "name" || Blank(value)) continue;
    const bool objects = value.is_array() && value.front().is_object();
    if (value.is_object()) {
      out << indent << key << ":\n";
      PrintSpec(out, value, indent + "  ");
    } else if (objects) {
      out << indent << key << ":\n";
      for (const auto& item : value) {
        std::string line = item.contains("name") ? Inline(item["name"]) : "";
        for (const auto& [field, field_value] : item.items()) {
          if (field == "name" || Blank(field_value)) continue;
          line += (line.empty() ? "" : "  ") + field + "=" + Inline(field_value);
        }
        out << indent << "  - " << line << "\n";
      }
    } else {
      out << indent << key << ": " << Inline(value) << "\n";
    }
  }
}

// `spec` without the catalog metadata, which the header lines already show.
ojson WithoutMetadata(ojson spec) {
  for (const char* key : {"description", "owner", "tags", "labels"}) spec.erase(key);
  return spec;
}

}  // namespace

Result<ojson> DescribeObject(const definitions::Repo& applied, registry::Registry& registry,
                             const std::string& name, int64_t now) {
  std::string object_name = name;
  std::string feature_name;
  auto history = registry.History(name);
  if (history.ok() && history->empty() && name.find(':') != std::string::npos) {
    auto ref = definitions::ParseFeatureRef(name);
    if (ref.ok()) {
      object_name = ref->view;
      feature_name = ref->feature;
    }
  }
  FST_ASSIGN_OR_RAISE(auto versions, HistoryOrHint(applied, registry, object_name));
  const registry::ObjectRecord& current = versions.back();
  const json& spec = current.object.spec;
  json feature;
  if (!feature_name.empty()) {
    for (const auto& item : spec.value("features", json::array())) {
      if (item.value("name", "") == feature_name) feature = item;
    }
    if (feature.is_null()) {
      return Status::KeyError("feature view '", object_name, "' has no feature '", feature_name,
                              "'");
    }
  }
  // A feature's own metadata first; its view's owner when it has none.
  const json& meta = feature.is_null() ? spec : feature;
  ojson out = {{"kind", feature.is_null() ? current.object.kind : "feature"},
               {"name", name},
               {"version", current.version},
               {"applied_at", Timestamp(current.applied_at)},
               {"removed", current.removed},
               {"description", meta.value("description", "")},
               {"owner", meta.value("owner", spec.value("owner", ""))},
               {"tags", meta.value("tags", json::array())},
               {"labels", meta.value("labels", json::object())}};
  if (!feature.is_null()) {
    out["view"] = object_name;
    out["feature"] = feature;
  }
  out["spec"] = spec;
  out["versions"] = Versions(versions);
  FST_ASSIGN_OR_RAISE(out["lineage"],
                      LineageOf(applied, registry, current.object.kind, object_name));
  FST_ASSIGN_OR_RAISE(out["data"], DataOf(registry, current.object.kind, object_name, now));
  return out;
}

std::string DescribeText(const ojson& d) {
  std::ostringstream out;
  out << d["kind"].get<std::string>() << " " << d["name"].get<std::string>() << "  (version "
      << d["version"] << ", applied " << d["applied_at"].get<std::string>()
      << (d["removed"].get<bool>() ? ", removed" : "") << ")\n";
  for (const char* key : {"description", "owner", "tags", "labels"}) {
    if (!Blank(d[key])) out << "  " << key << ": " << Inline(d[key]) << "\n";
  }
  if (d.contains("feature")) {
    out << "  feature:\n";
    PrintSpec(out, WithoutMetadata(d["feature"]), "    ");
    out << "  view " << d["view"].get<std::string>() << ":\n";
    PrintSpec(out, d["spec"], "    ");
  } else {
    PrintSpec(out, WithoutMetadata(d["spec"]), "  ");
  }
  out << "versions:\n";
  for (const auto& v : d["versions"]) {
    out << "  v" << v["version"] << "  " << v["applied_at"].get<std::string>() << "  "
        << v["hash"].get<std::string>().substr(0, 12) << "  " << v["changes"].get<std::string>()
        << "\n";
  }
  const ojson& lineage = d["lineage"];
  if (!lineage["edges"].empty()) {
    out << "lineage:\n";
    if (!lineage["producers"].empty()) out << "  from: " << Inline(lineage["producers"]) << "\n";
    if (!lineage["consumers"].empty()) out << "  to: " << Inline(lineage["consumers"]) << "\n";
    for (const auto& node : lineage["nodes"]) {
      if (node["last_run"].is_null()) continue;
      const ojson& run = node["last_run"];
      out << "  last run of " << node["id"].get<std::string>() << ": "
          << run["time"].get<std::string>() << " " << run["outcome"].get<std::string>();
      if (!run["rows"].is_null()) out << " " << run["rows"] << " rows";
      out << "\n";
    }
  }
  const ojson& data = d["data"];
  if (data.contains("rows")) {
    out << "data: " << data["rows"] << " rows in " << data["ingests"] << " ingests";
    if (!data["last_ingest_at"].is_null()) {
      out << ", last " << data["last_ingest_at"].get<std::string>();
    }
    out << "; " << data["files"] << " files";
    if (!data["last_compaction_at"].is_null()) {
      out << ", last compacted " << data["last_compaction_at"].get<std::string>();
    }
    out << "\n";
  } else if (data.contains("logged_rows")) {
    out << "data: " << data["logged_rows"] << " logged rows published into "
        << data["log_source"].get<std::string>();
    if (!data["last_log_publish_at"].is_null()) {
      out << ", last " << data["last_log_publish_at"].get<std::string>();
    }
    out << "\n";
  } else if (data.contains("watermark")) {
    if (data["watermark"].is_null()) {
      out << "data: not materialized\n";
    } else {
      out << "data: materialized up to " << data["watermark"].get<std::string>() << " ("
          << data["watermark_age_seconds"] << " s ago)\n";
    }
  }
  return out.str();
}

}  // namespace fst::lineage
