// `featherstone training-set --service NAME --labels SOURCE [--from TS] [--to TS]
// [--join request_id|keys] [--horizon DURATION] [--recompute] --out FILE`
#include <iostream>

#include "command.h"
#include "featherstone/connectors/table_writer.h"
#include "featherstone/core/time.h"
#include "featherstone/feedback/training_set.h"

namespace fst::cli {
namespace {

struct Options {
  feedback::TrainingSetOptions set;
  std::string from, to, join = "auto", horizon, out;
};

Status Run(const Globals& globals, Options o) {
  FST_RETURN_NOT_OK(ParseTimeRange(o.from, o.to, &o.set.from_us, &o.set.to_us));
  if (!o.horizon.empty()) {
    auto horizon = core::ParseDuration(o.horizon);
    if (!horizon.ok()) return Status::Invalid("--horizon: ", horizon.status().message());
    o.set.horizon_us = *horizon;
  }
  auto join = feedback::ParseLabelJoin(o.join);
  if (!join.ok()) return Status::Invalid("--", join.status().message());
  o.set.join = *join;
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto set, feedback::GetTrainingSet(*repo, o.set));
  FST_RETURN_NOT_OK(connectors::WriteTableFile(*set.table, o.out));
  std::cout << "wrote " << set.table->num_rows() << " rows to " << o.out << " ("
            << set.served_rows << " served rows, " << set.table->num_rows()
            << " with an outcome, joined by " << set.join << "; features "
            << (o.set.recompute ? "recomputed from the offline store" : "as served") << ")\n";
  return Status::OK();
}

}  // namespace

void AddTrainingSetCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "training-set",
      "Build a retraining set from what a feature service actually served: the logged feature "
      "vectors of `featherstone serve` joined with outcomes (a source like any other). Each "
      "served row takes the earliest outcome at or after its serving time — by request id "
      "when the outcome source has a request_id column, else by the join keys within "
      "--horizon — so no outcome from before a prediction is ever joined. Columns: request_id, "
      "served_at, the join keys, the features as served (or --recompute'd from the offline "
      "store at the lookup time), then the outcome source's columns. docs/feedback.md.\n"
      "Example: featherstone -C shop training-set --service churn_model --labels churn_outcomes "
      "--out retrain.parquet\n"
      "Example: featherstone -C shop training-set --service churn_model --labels churn_outcomes "
      "--join keys --horizon 30d --from 2026-11-01 --out retrain.parquet");
  auto o = std::make_shared<Options>();
  cmd->add_option("--service", o->set.service, "Feature service whose responses were logged")
      ->required();
  cmd->add_option("--labels", o->set.labels, "Outcome source (applied, ingested)")->required();
  cmd->add_option("--from", o->from, "Only requests served at or after this time");
  cmd->add_option("--to", o->to, "Only requests served at or before this time");
  cmd->add_option("--join", o->join, "request_id | keys | auto (default: request_id when the "
                                     "outcome source has that column, else keys)");
  cmd->add_option("--horizon", o->horizon,
                  "How long after serving an outcome still counts (e.g. 30d); needed by the keys "
                  "join");
  cmd->add_flag("--recompute", o->set.recompute,
                "Features recomputed point-in-time from the offline store at each request's "
                "lookup time instead of as served");
  cmd->add_option("--out", o->out, "Output file (.csv, .parquet, .jsonl)")->required();
  cmd->callback([&globals, action, o] {
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
