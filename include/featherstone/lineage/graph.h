// The lineage graph of a repo: sources -> feature views -> on-demand views -> feature
// services -> their logged requests (the log source SERVICE__log, published by serve) ->
// training sets joining them with an outcome source, from
// the applied definitions and the registry's lineage events, with each node's latest finished
// run (ingest, push or stream for a source, materialize for a view, training_set for a
// training set). `featherstone lineage` prints it; GET /api/lineage serves GraphJson.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/definitions/model.h"
#include "featherstone/registry/registry.h"

namespace fst::lineage {

struct Node {
  std::string id;    // "KIND:NAME"
  // source | feature_view | on_demand_feature_view | feature_service | logged_requests |
  // training_set (the last two are named after their service)
  std::string kind;
  std::string name;
  std::string description;
  std::optional<registry::LineageEventRecord> last_run;
};

struct Edge {
  std::string from;  // node ids
  std::string to;
};

struct Graph {
  std::vector<Node> nodes;  // sources, views, on-demand views, services; by name within each
  std::vector<Edge> edges;
};

// Errors: those of the registry.
Result<Graph> BuildGraph(const definitions::Repo& applied, registry::Registry& registry);

// The nodes upstream and downstream of the object named `name` (any kind), with it.
// Errors: KeyError for an unknown name.
Result<Graph> Around(const Graph& graph, const std::string& name);

// {"nodes": [{id, kind, name, description, last_run}], "edges": [{from, to}]}.
nlohmann::ordered_json GraphJson(const Graph& graph);

// Edges then nodes with their last runs, for the terminal.
std::string GraphText(const Graph& graph);

}  // namespace fst::lineage
