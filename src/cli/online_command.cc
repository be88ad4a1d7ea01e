// `featherstone online (--features V:F,... | --service NAME) --entity K=V ... [--request K=V ...]
// [--at TS]`
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::cli {
namespace {

struct Options {
  std::string features;
  std::string service;
  std::vector<std::string> entities;
  std::vector<std::string> requests;
  std::string at;
  bool full_feature_names = false;
};

// "K=V" into (K, V). Errors: Invalid naming `option` and an example.
Result<std::pair<std::string, std::string>> SplitPair(const std::string& option,
                                                      const std::string& pair,
                                                      const std::string& example) {
  const size_t eq = pair.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Invalid(option, " '", pair, "': expected KEY=VALUE, e.g. ", example);
  }
  return std::make_pair(pair.substr(0, eq), pair.substr(eq + 1));
}

// K=V pairs into entities: a key seen again starts the next entity.
Result<std::vector<retrieval::EntityKeyText>> GroupEntities(const std::vector<std::string>& pairs) {
  std::vector<retrieval::EntityKeyText> entities(1);
  for (const auto& pair : pairs) {
    FST_ASSIGN_OR_RAISE(auto split, SplitPair("--entity", pair, "customer_id=42"));
    for (const auto& [k, v] : entities.back()) {
      if (k == split.first) {
        entities.emplace_back();
        break;
      }
    }
    entities.back().push_back(std::move(split));
  }
  return entities;
}

Status Run(const Globals& globals, const Options& o) {
  int64_t at = core::NowMicros();
  if (!o.at.empty()) {
    FST_ASSIGN_OR_RAISE(at, ParseTimeOption("--at", o.at));
  }
  FST_ASSIGN_OR_RAISE(auto entities, GroupEntities(o.entities));
  // One request: its values apply to every entity.
  retrieval::EntityKeyText request;
  for (const auto& pair : o.requests) {
    FST_ASSIGN_OR_RAISE(auto split, SplitPair("--request", pair, "amount=12.5"));
    for (const auto& [field, value] : request) {
      if (field == split.first) {
        return Status::Invalid("--request '", pair, "': field '", field, "' is given twice");
      }
    }
    request.push_back(std::move(split));
  }
  const std::vector<retrieval::EntityKeyText> requests(o.requests.empty() ? 0 : entities.size(),
                                                      request);
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto refs, retrieval::ResolveFeatures(*applied, o.features, o.service));
  FST_ASSIGN_OR_RAISE(auto rows,
                      retrieval::GetOnlineFeatures(*repo, refs, entities, at, o.full_feature_names,
                                                   requests));
  std::cout << retrieval::ToJson(rows).dump(2) << "\n";
  return Status::OK();
}

}  // namespace

void AddOnlineCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "online",
      "Look up the latest materialized features of entities. Prints a JSON array, one object "
      "per entity; a feature is null when missing or older than its view's ttl at --at. "
      "On-demand features are computed from the stored features they read and the --request "
      "values, which apply to every entity.\n"
      "Example: featherstone -C shop online --service churn_model --entity customer_id=42 "
      "--entity customer_id=43\n"
      "Example: featherstone -C shop online --features transaction_features:amount_vs_average "
      "--entity customer_id=42 --request amount=12.5");
  auto o = std::make_shared<Options>();
  auto* features = cmd->add_option("--features", o->features, "view:feature,...");
  auto* service = cmd->add_option("--service", o->service, "Feature service name");
  features->excludes(service);
  cmd->add_option("--entity", o->entities, "KEY=VALUE; repeat a key for more entities")->required();
  cmd->add_option("--request", o->requests,
                  "FIELD=VALUE of the request schema of the on-demand features (repeatable)");
  cmd->add_option("--at", o->at, "Lookup time for ttl and days_since (default: now)");
  cmd->add_flag("--full-feature-names", o->full_feature_names, "Name fields view__feature");
  cmd->callback([&globals, action, o, features, service] {
    if (features->count() == 0 && service->count() == 0) {
      throw CLI::RequiredError("--features or --service");
    }
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
