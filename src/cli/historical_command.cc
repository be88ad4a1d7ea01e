// `featherstone historical --entities FILE (--features V:F,... | --service NAME) --out FILE`
#include <iostream>

#include "command.h"
#include "featherstone/connectors/table_writer.h"
#include "featherstone/retrieval/historical.h"

namespace fst::cli {
namespace {

struct Options {
  std::string entities;
  std::string features;
  std::string service;
  std::string out;
  retrieval::HistoricalOptions historical;
};

Status Run(const Globals& globals, const Options& o) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto refs, retrieval::ResolveFeatures(*applied, o.features, o.service));
  FST_ASSIGN_OR_RAISE(auto entities,
                      retrieval::ReadEntityFile(*repo, o.entities, refs, o.historical));
  FST_ASSIGN_OR_RAISE(auto table,
                      retrieval::GetHistoricalFeatures(*repo, entities, refs, o.historical));
  FST_RETURN_NOT_OK(connectors::WriteTableFile(*table, o.out));
  std::cout << "wrote " << table->num_rows() << " rows to " << o.out << "\n";
  return Status::OK();
}

}  // namespace

void AddHistoricalCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "historical",
      "Build a training set: for each entity row (join keys + timestamp), the feature values "
      "as they were at that time (point-in-time correct, ttl applied). One output row per "
      "entity row, in input order, with the entity file's columns kept. On-demand features "
      "take their request fields from the entity file's columns of the same names.\n"
      "Example: featherstone -C shop historical --entities data/spine.csv --service churn_model "
      "--out train.parquet\n"
      "Example: featherstone -C shop historical --entities data/transactions.csv "
      "--features transaction_features:amount_vs_average --out train.parquet   "
      "(data/transactions.csv: customer_id,event_timestamp,amount)");
  auto o = std::make_shared<Options>();
  cmd->add_option("--entities", o->entities, "Entity rows (.csv, .parquet, .jsonl)")->required();
  auto* features = cmd->add_option("--features", o->features, "view:feature,...");
  auto* service = cmd->add_option("--service", o->service, "Feature service name");
  features->excludes(service);
  cmd->add_option("--out", o->out, "Output file (.csv, .parquet, .jsonl)")->required();
  cmd->add_option("--timestamp-column", o->historical.timestamp_column,
                  "Entity timestamp column (default: event_timestamp)");
  cmd->add_flag("--full-feature-names", o->historical.full_feature_names,
                "Name columns view__feature");
  cmd->callback([&globals, action, o, features, service] {
    if (features->count() == 0 && service->count() == 0) {
      throw CLI::RequiredError("--features or --service");
    }
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
