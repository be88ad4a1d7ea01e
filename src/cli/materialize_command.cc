// `featherstone materialize (--end TS [--start TS] | --incremental [--end TS])`
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/retrieval/materialize.h"

namespace fst::cli {
namespace {

struct Options {
  std::string start;
  std::string end;
  bool incremental = false;
  std::vector<std::string> views;
};

Status Run(const Globals& globals, const Options& o) {
  retrieval::MaterializeOptions options;
  options.incremental = o.incremental;
  options.views = o.views;
  if (o.end.empty()) {
    options.end = core::NowMicros();
  } else {
    FST_ASSIGN_OR_RAISE(options.end, ParseTimeOption("--end", o.end));
  }
  if (!o.start.empty()) {
    FST_ASSIGN_OR_RAISE(auto start, ParseTimeOption("--start", o.start));
    if (start > options.end) return Status::Invalid("--start is after --end");
    options.start = start;
  }
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto results, retrieval::Materialize(*repo, options));
  for (const auto& r : results) {
    std::cout << "materialized " << r.view << ": " << r.keys_written << " keys up to "
              << core::FormatTimestamp(options.end) << "\n";
  }
  if (results.empty()) std::cout << "No online feature views.\n";
  return Status::OK();
}

}  // namespace

void AddMaterializeCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "materialize",
      "Write the latest feature row per entity (event time within [--start, --end]) of every "
      "online view to the online store. --incremental continues from the last run's watermark "
      "and also picks up late rows ingested since.\n"
      "Example: featherstone -C shop materialize --end 2026-11-25T00:00:00Z");
  auto o = std::make_shared<Options>();
  auto* start = cmd->add_option("--start", o->start, "Earliest event time (inclusive), ISO-8601 or epoch");
  auto* end = cmd->add_option("--end", o->end, "Latest event time (inclusive), ISO-8601 or epoch");
  cmd->add_flag("--incremental", o->incremental, "Continue from the last watermark (end defaults to now)")
      ->excludes(start);
  cmd->add_option("--views", o->views, "Only these views")->delimiter(',');
  cmd->callback([&globals, action, o, end] {
    if (end->count() == 0 && !o->incremental) throw CLI::RequiredError("--end (or --incremental)");
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
