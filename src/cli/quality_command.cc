// `featherstone quality [SOURCE]`: the history of validation runs with drift warnings.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/quality_history.h"
#include "text_table.h"

namespace fst::cli {
namespace {

std::string Percent(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", value);
  return text;
}

Status Run(const Globals& globals, const std::string& source, int64_t limit, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto runs, ingest::QualityHistory(*repo, source, limit));
  if (json) {
    std::cout << ingest::QualityHistoryJson(runs).dump(
                     2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
    return Status::OK();
  }
  if (runs.empty()) {
    std::cout << "No runs recorded" << (source.empty() ? "" : " for source '" + source + "'")
              << ".\n";
    return Status::OK();
  }
  TextTable table({"RUN", "TIME", "SOURCE", "INPUT", "OUTCOME", "ROWS", "BAD", "QUARANTINED",
                   "WRITTEN", "SUCCESS"});
  std::vector<std::string> warnings;
  for (const auto& run : runs) {
    const auto& r = run.record;
    table.Add({std::to_string(r.id), core::FormatTimestamp(r.run_at), r.source, r.input,
               r.outcome, std::to_string(r.rows), std::to_string(run.bad_rows),
               std::to_string(r.quarantined), std::to_string(r.written),
               Percent(run.success_percent)});
    for (const auto& d : run.drift) {
      warnings.push_back("run " + std::to_string(r.id) + " (" + r.source + ", " + r.input +
                         "): " + d.message);
    }
  }
  table.Print(std::cout);
  if (!warnings.empty()) {
    std::cout << "\nDrift between consecutive runs:\n";
    for (const auto& w : warnings) std::cout << "  warning: " << w << "\n";
  }
  return Status::OK();
}

}  // namespace

void AddQualityCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "quality",
      "History of validation runs (every ingest and replay): time, rows, bad rows (breaking an "
      "error-level rule), rows quarantined, rows written, share of expectations met; then "
      "drift warnings between consecutive runs of a source (a null-rate jump over 5 points, a mean shift beyond 3 standard "
      "deviations, a row count below 10% of the previous run).\n"
      "Example: featherstone -C shop quality orders");
  auto source = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(50);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("source", *source, "Source name (default: all)");
  cmd->add_option("--limit", *limit, "The last N runs (0 = all; default 50)");
  cmd->add_flag("--json", *json, "Print the runs with their full results and metrics as JSON");
  cmd->callback([&globals, action, source, limit, json] {
    *action = [&globals, source, limit, json] { return Run(globals, *source, *limit, *json); };
  });
}

}  // namespace fst::cli
