// `featherstone breaker status [SOURCE]` and `featherstone breaker reset SOURCE`.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/breaker.h"
#include "text_table.h"

namespace fst::cli {
namespace {

std::string Share(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g%%", share * 100.0);
  return text;
}

std::vector<std::string> Row(const ingest::BreakerStatus& status) {
  const bool open = status.record.state == quality::BreakerState::kOpen;
  std::string probe = "-";
  if (open && status.configured) {
    probe = status.state == quality::BreakerState::kHalfOpen
                ? "now (next run)"
                : core::FormatTimestamp(status.probe_at);
  }
  return {status.source,
          std::string(quality::BreakerStateName(status.state)),
          status.configured ? Share(status.config.threshold) : "(none)",
          status.configured ? core::FormatDuration(status.config.half_open_after_us) : "-",
          status.record.changed_at == 0 ? "-" : core::FormatTimestamp(status.record.changed_at),
          probe,
          status.record.reason.empty() ? "-" : status.record.reason};
}

Status Status_(const Globals& globals, const std::string& source, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  if (json) {
    FST_ASSIGN_OR_RAISE(auto out, ingest::BreakersJson(*repo, source, core::NowMicros()));
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
    return Status::OK();
  }
  FST_ASSIGN_OR_RAISE(auto statuses,
                      ingest::GetBreakerStatus(*repo, source, core::NowMicros()));
  if (statuses.empty()) {
    std::cout << "No source has a circuit breaker (add `breaker: {threshold: 0.2, "
                 "half_open_after: 10m}` to a source's contract).\n";
    return Status::OK();
  }
  TextTable table({"SOURCE", "STATE", "THRESHOLD", "HALF_OPEN_AFTER", "CHANGED", "PROBE",
                   "REASON"});
  for (const auto& status : statuses) table.Add(Row(status));
  table.Print(std::cout);
  return Status::OK();
}

Status Reset(const Globals& globals, const std::string& source) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto status, ingest::ResetBreaker(*repo, source, core::NowMicros()));
  std::cout << "breaker of source '" << source << "' is CLOSED; ingests are accepted again\n";
  if (!status.configured) {
    std::cerr << "note: source '" << source << "' has no breaker in its contract\n";
  }
  return Status::OK();
}

}  // namespace

void AddBreakerCommands(CLI::App& app, Globals& globals, Action* action) {
  auto* group = app.add_subcommand(
      "breaker",
      "Circuit breakers of sources: CLOSED accepts ingests; OPEN (the bad share of a run passed "
      "the threshold) refuses them; HALF_OPEN (half_open_after later) lets the next run through "
      "as a probe, which closes the breaker when it passes.\n"
      "Example: featherstone -C shop breaker status");
  group->require_subcommand(1);
  auto* status = group->add_subcommand(
      "status", "State of the breaker of SOURCE, or of every source with one; with --json also "
                "its transitions over time (from the run history).\n"
                "Example: featherstone -C shop breaker status orders --json");
  auto status_source = std::make_shared<std::string>();
  auto status_json = std::make_shared<bool>(false);
  status->add_option("source", *status_source, "Source name (default: all)");
  status->add_flag("--json", *status_json, "Print the breakers with their transitions as JSON");
  status->callback([&globals, action, status_source, status_json] {
    *action = [&globals, status_source, status_json] {
      return Status_(globals, *status_source, *status_json);
    };
  });
  auto* reset = group->add_subcommand(
      "reset", "Close the breaker of SOURCE now, after fixing the data upstream.\n"
               "Example: featherstone -C shop breaker reset orders");
  auto reset_source = std::make_shared<std::string>();
  reset->add_option("source", *reset_source, "Source name")->required();
  reset->callback([&globals, action, reset_source] {
    *action = [&globals, reset_source] { return Reset(globals, *reset_source); };
  });
}

}  // namespace fst::cli
