#include "featherstone/lineage/graph.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "featherstone/core/time.h"
#include "featherstone/definitions/log_source_name.h"

namespace fst::lineage {
namespace {

using ojson = nlohmann::ordered_json;

std::string Id(const std::string& kind, const std::string& name) { return kind + ":" + name; }

ojson RunJson(const registry::LineageEventRecord& run) {
  ojson out = {{"job", run.job},
               {"run_id", run.run_id},
               {"outcome", run.event_type},
               {"time", core::FormatTimestamp(run.event_time)}};
  out["rows"] = run.rows >= 0 ? ojson(run.rows) : ojson(nullptr);
  if (!run.error.empty()) out["error"] = run.error;
  return out;
}

}  // namespace

Result<Graph> BuildGraph(const definitions::Repo& applied, registry::Registry& registry) {
  FST_ASSIGN_OR_RAISE(auto runs, registry.LatestLineageRuns());
  std::map<std::string, registry::LineageEventRecord> by_job;
  for (auto& run : runs) by_job[run.job] = std::move(run);
  auto last = [&](const std::string& job) -> std::optional<registry::LineageEventRecord> {
    auto it = by_job.find(job);
    if (it == by_job.end()) return std::nullopt;
    return it->second;
  };
  // A source is written by ingest, push and stream runs: its last run is the newest of them.
  auto last_write = [&](const std::string& source) {
    std::optional<registry::LineageEventRecord> newest;
    for (const char* kind : {"ingest.", "push.", "stream."}) {
      auto run = last(kind + source);
      if (run && (!newest || run->event_time > newest->event_time)) newest = std::move(run);
    }
    return newest;
  };
  Graph graph;
  auto sorted = [](auto items) {
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->name < b->name; });
    return items;
  };
  // A service's log source (SERVICE__log) is drawn as the service's logged requests.
  std::vector<const definitions::Source*> sources;
  for (const auto& s : applied.sources) {
    if (definitions::LoggedService(applied, s.name).empty()) sources.push_back(&s);
  }
  for (const auto* s : sorted(sources)) {
    graph.nodes.push_back(
        {Id("source", s->name), "source", s->name, s->description, last_write(s->name)});
  }
  std::vector<const definitions::FeatureView*> views;
  for (const auto& v : applied.feature_views) views.push_back(&v);
  for (const auto* v : sorted(views)) {
    graph.nodes.push_back({Id("feature_view", v->name), "feature_view", v->name, v->description,
                           last("materialize." + v->name)});
    graph.edges.push_back({Id("source", v->source), Id("feature_view", v->name)});
  }
  std::vector<const definitions::OnDemandFeatureView*> on_demand;
  for (const auto& v : applied.on_demand_feature_views) on_demand.push_back(&v);
  for (const auto* v : sorted(on_demand)) {
    graph.nodes.push_back({Id("on_demand_feature_view", v->name), "on_demand_feature_view",
                           v->name, v->description, std::nullopt});
    for (const auto& from : v->sources) {
      graph.edges.push_back({Id("feature_view", from), Id("on_demand_feature_view", v->name)});
    }
  }
  std::vector<const definitions::FeatureService*> services;
  for (const auto& s : applied.feature_services) services.push_back(&s);
  for (const auto* s : sorted(services)) {
    graph.nodes.push_back({Id("feature_service", s->name), "feature_service", s->name,
                           s->description, std::nullopt});
    std::set<std::string> seen;
    for (const auto& ref : s->features) {
      if (!seen.insert(ref.view).second) continue;
      const std::string kind =
          applied.FindOnDemandView(ref.view) != nullptr ? "on_demand_feature_view" : "feature_view";
      graph.edges.push_back({Id(kind, ref.view), Id("feature_service", s->name)});
    }
  }
  // The feedback loop: each service's logged requests, and once a training set was built from
  // them, the training set joining them with its outcome source (the labels of its last run).
  for (const auto* s : sorted(services)) {
    graph.nodes.push_back({Id("logged_requests", s->name), "logged_requests", s->name,
                           "requests served by " + s->name + " (the feature log, source " +
                               definitions::LogSourceName(s->name) + ")",
                           last_write(definitions::LogSourceName(s->name))});
    graph.edges.push_back({Id("feature_service", s->name), Id("logged_requests", s->name)});
  }
  for (const auto* s : sorted(services)) {
    auto run = last("training_set." + s->name);
    if (!run) continue;
    const std::string id = Id("training_set", s->name);
    graph.nodes.push_back({id, "training_set", s->name,
                           "logged requests of " + s->name + " joined with outcomes", run});
    graph.edges.push_back({Id("logged_requests", s->name), id});
    auto event = nlohmann::json::parse(run->event_json, nullptr, false);
    if (!event.is_object() || !event.contains("inputs")) continue;
    for (const auto& input : event["inputs"]) {
      const std::string name = input.value("name", "");
      if (name.starts_with("offline/") && applied.FindSource(name.substr(8)) != nullptr) {
        graph.edges.push_back({Id("source", name.substr(8)), id});
      }
    }
  }
  return graph;
}

Result<Graph> Around(const Graph& graph, const std::string& name) {
  std::set<std::string> keep;
  for (const auto& node : graph.nodes) {
    if (node.name == name) keep.insert(node.id);
  }
  if (keep.empty()) return Status::KeyError("no source, view or service named '", name, "'");
  // Walk edges upstream from the start nodes, then downstream, separately: siblings that only
  // share an upstream node are not part of the object's lineage.
  for (bool downstream : {false, true}) {
    std::set<std::string> reached = keep;
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& edge : graph.edges) {
        const std::string& from = downstream ? edge.from : edge.to;
        const std::string& to = downstream ? edge.to : edge.from;
        if (reached.count(from) && reached.insert(to).second) grew = true;
      }
    }
    if (!downstream) {
      keep.swap(reached);
    } else {
      keep.insert(reached.begin(), reached.end());
    }
  }
  Graph out;
  for (const auto& node : graph.nodes) {
    if (keep.count(node.id)) out.nodes.push_back(node);
  }
  for (const auto& edge : graph.edges) {
    if (keep.count(edge.from) && keep.count(edge.to)) out.edges.push_back(edge);
  }
  return out;
}

ojson GraphJson(const Graph& graph) {
  ojson nodes = ojson::array(), edges = ojson::array();
  for (const auto& node : graph.nodes) {
    ojson item = {{"id", node.id}, {"kind", node.kind}, {"name", node.name},
                  {"description", node.description}};
    item["last_run"] = node.last_run ? RunJson(*node.last_run) : ojson(nullptr);
    nodes.push_back(std::move(item));
  }
  for (const auto& edge : graph.edges) edges.push_back({{"from", edge.from}, {"to", edge.to}});
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

std::string GraphText(const Graph& graph) {
  std::ostringstream out;
  out << "edges\n";
  for (const auto& edge : graph.edges) out << "  " << edge.from << " -> " << edge.to << "\n";
  out << "nodes\n";
  for (const auto& node : graph.nodes) {
    out << "  " << node.id;
    if (node.last_run) {
      const auto& run = *node.last_run;
      out << "  last " << run.job << " " << core::FormatTimestamp(run.event_time) << " "
          << run.event_type;
      if (run.rows >= 0) out << " " << run.rows << " rows";
      if (!run.error.empty()) {
        out << ": " << run.error.substr(0, run.error.find('\n'));
      }
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace fst::lineage
