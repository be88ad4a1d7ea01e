// `featherstone lineage [NAME] [--json]`, `featherstone lineage events [--job J] [--limit N]`
#include <iostream>

#include "command.h"
#include "featherstone/lineage/emitter.h"
#include "featherstone/lineage/graph.h"

namespace fst::cli {
namespace {

struct Options {
  std::string name;
  bool json = false;
  std::string job;
  int64_t limit = 0;
};

Status ShowGraph(const Globals& globals, const Options& o) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto graph, lineage::BuildGraph(*applied, repo->registry()));
  if (!o.name.empty()) {
    FST_ASSIGN_OR_RAISE(graph, lineage::Around(graph, o.name));
  }
  if (o.json) {
    std::cout << lineage::GraphJson(graph).dump(2) << "\n";
  } else {
    std::cout << lineage::GraphText(graph);
    const int64_t failed = lineage::CountFailedEvents(repo->fs(), repo->dir());
    if (failed > 0) {
      std::cout << "\n" << failed << " lineage events were not taken by a sink (see "
                << lineage::Emitter::FailedPath(repo->dir()) << ")\n";
    }
  }
  return Status::OK();
}

Status ShowEvents(const Globals& globals, const Options& o) {
  if (o.limit < 0) return Status::Invalid("--limit ", o.limit, ": expected >= 0");
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto events, repo->registry().ListLineageEvents(o.job, o.limit));
  // Oldest first, as a collector expects to receive them.
  for (auto it = events.rbegin(); it != events.rend(); ++it) std::cout << it->event_json << "\n";
  return Status::OK();
}

}  // namespace

void AddLineageCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "lineage",
      "Show the lineage graph: sources -> feature views -> on-demand views -> feature services, "
      "from the applied definitions, with the latest ingest or materialize run of each node "
      "(time, outcome, rows), and how many lineage events a sink (`lineage:` of "
      "featherstone.yaml) failed to take. With NAME, only what is upstream and downstream of "
      "that object. docs/lineage.md.\n"
      "Example: featherstone -C shop lineage customer_features --json");
  auto o = std::make_shared<Options>();
  cmd->add_option("name", o->name, "A source, feature view or feature service");
  cmd->add_flag("--json", o->json, "Print {nodes, edges} as JSON");
  auto* events = cmd->add_subcommand(
      "events",
      "Print the stored OpenLineage RunEvents (START, COMPLETE, FAIL of every apply, ingest, "
      "push, stream, materialize, historical and training-set run), one JSON object per line, "
      "oldest first: the input a collector such as "
      "Marquez takes at /api/v1/lineage.\n"
      "Example: featherstone -C shop lineage events --limit 20");
  events->add_option("--job", o->job, "Only this job, e.g. ingest.orders");
  events->add_option("--limit", o->limit, "The newest N events (default: all)");
  cmd->callback([&globals, action, o, events] {
    if (events->parsed()) {
      *action = [&globals, o] { return ShowEvents(globals, *o); };
    } else {
      *action = [&globals, o] { return ShowGraph(globals, *o); };
    }
  });
}

}  // namespace fst::cli
