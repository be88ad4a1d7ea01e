// `featherstone online (--features V:F,... | --service NAME) --entity K=V ... [--at TS]`
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/pipeline/historical.h"
#include "featherstone/pipeline/online_lookup.h"

namespace fst::cli {
namespace {

struct Options {
  std::string features;
  std::string service;
  std::vector<std::string> entities;
  std::string at;
  bool full_feature_names = false;
};

// K=V pairs into entities: a key seen again starts the next entity.
Result<std::vector<pipeline::EntityKeyText>> GroupEntities(const std::vector<std::string>& pairs) {
  std::vector<pipeline::EntityKeyText> entities(1);
  for (const auto& pair : pairs) {
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("--entity '", pair, "': expected KEY=VALUE, e.g. customer_id=42");
    }
    std::string key = pair.substr(0, eq);
    for (const auto& [k, v] : entities.back()) {
      if (k == key) {
        entities.emplace_back();
        break;
      }
    }
    entities.back().emplace_back(std::move(key), pair.substr(eq + 1));
  }
  return entities;
}

Status Run(const Globals& globals, const Options& o) {
  int64_t at = core::NowMicros();
  if (!o.at.empty()) {
    FST_ASSIGN_OR_RAISE(at, ParseTimeOption("--at", o.at));
  }
  FST_ASSIGN_OR_RAISE(auto entities, GroupEntities(o.entities));
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto refs, pipeline::ResolveFeatures(*applied, o.features, o.service));
  FST_ASSIGN_OR_RAISE(auto json,
                      pipeline::GetOnlineFeatures(*repo, refs, entities, at, o.full_feature_names));
  std::cout << json.dump(2) << "\n";
  return Status::OK();
}

}  // namespace

void AddOnlineCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "online",
      "Look up the latest materialized features of entities. Prints a JSON array, one object "
      "per entity; a feature is null when missing or older than its view's ttl at --at.\n"
      "Example: featherstone -C shop online --service churn_model --entity customer_id=42 "
      "--entity customer_id=43");
  auto o = std::make_shared<Options>();
  auto* features = cmd->add_option("--features", o->features, "view:feature,...");
  auto* service = cmd->add_option("--service", o->service, "Feature service name");
  features->excludes(service);
  cmd->add_option("--entity", o->entities, "KEY=VALUE; repeat a key for more entities")->required();
  cmd->add_option("--at", o->at, "Lookup time for ttl (default: now)");
  cmd->add_flag("--full-feature-names", o->full_feature_names, "Name fields view__feature");
  cmd->callback([&globals, action, o, features, service] {
    if (features->count() == 0 && service->count() == 0) {
      throw CLI::RequiredError("--features or --service");
    }
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
