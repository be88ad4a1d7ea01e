// `featherstone skew [--service NAME] [--from TS] [--to TS] [--sample N] [--json]`
#include <iostream>

#include "command.h"
#include "featherstone/feedback/skew.h"

namespace fst::cli {
namespace {

struct Options {
  feedback::SkewOptions skew;
  std::string from, to;
  bool json = false;
};

Status Run(const Globals& globals, Options o) {
  FST_RETURN_NOT_OK(ParseTimeRange(o.from, o.to, &o.skew.from_us, &o.skew.to_us));
  if (o.skew.sample < 0) return Status::Invalid("--sample ", o.skew.sample, ": expected >= 0");
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto report, feedback::MeasureSkew(*repo, o.skew));
  if (o.json) {
    std::cout << feedback::SkewJson(report).dump(2) << "\n";
  } else {
    std::cout << feedback::SkewText(report);
  }
  return Status::OK();
}

}  // namespace

void AddSkewCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "skew",
      "Measure training-serving skew over many logged responses of `featherstone serve`: every "
      "served value is recomputed from the offline store at its request's lookup time (one "
      "point-in-time join per feature list) and, per feature, the shares of equal, mismatched "
      "and missing values, the mean absolute and relative difference of mismatched numbers and "
      "the differences by reason (late_data, stale_online, definition_changed, ttl, "
      "unexplained; see `reproduce`) are reported. Each run is recorded in the registry. "
      "docs/feedback.md.\n"
      "Example: featherstone -C shop skew --service churn_model --from 2026-12-01 --sample 10000");
  auto o = std::make_shared<Options>();
  cmd->add_option("--service", o->skew.service, "Only responses of this feature service");
  cmd->add_option("--from", o->from, "Only responses served at or after this time");
  cmd->add_option("--to", o->to, "Only responses served at or before this time");
  cmd->add_option("--sample", o->skew.sample,
                  "At most N responses, evenly spaced over the range (default: all)");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->callback([&globals, action, o] {
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
