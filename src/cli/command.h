// Shared plumbing of the `featherstone` verbs: each verb file adds one subcommand and sets
// the action main() runs when that subcommand was chosen.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "featherstone/core/status.h"
#include "featherstone/repo/repo_context.h"

namespace fst::cli {

struct Globals {
  std::string repo = ".";
  // The exit status of a verb that succeeded but reports a negative outcome (reproduce: skew).
  int exit_code = 0;
};

using Action = std::function<Status()>;

// Opens the repo named by -C.
Result<std::unique_ptr<repo::RepoContext>> OpenRepo(const Globals& globals);

// Parses a timestamp option value, naming the option in the error.
Result<int64_t> ParseTimeOption(const std::string& option, const std::string& text);

// --from/--to into `*from_us`/`*to_us` (each left as it is when empty). Errors: those of
// ParseTimeOption; Invalid when --from is after --to.
Status ParseTimeRange(const std::string& from, const std::string& to, int64_t* from_us,
                      int64_t* to_us);

void AddInitCommand(CLI::App& app, Globals& globals, Action* action);
void AddPlanApplyCommands(CLI::App& app, Globals& globals, Action* action);
void AddListCommands(CLI::App& app, Globals& globals, Action* action);
void AddIngestCommand(CLI::App& app, Globals& globals, Action* action);
void AddMaterializeCommand(CLI::App& app, Globals& globals, Action* action);
void AddHistoricalCommand(CLI::App& app, Globals& globals, Action* action);
void AddOnlineCommand(CLI::App& app, Globals& globals, Action* action);
void AddValidateCommand(CLI::App& app, Globals& globals, Action* action);
void AddQuarantineCommands(CLI::App& app, Globals& globals, Action* action);
void AddBreakerCommands(CLI::App& app, Globals& globals, Action* action);
void AddQualityCommand(CLI::App& app, Globals& globals, Action* action);
void AddServeCommand(CLI::App& app, Globals& globals, Action* action);
void AddStreamCommand(CLI::App& app, Globals& globals, Action* action);
void AddPushCommand(CLI::App& app, Globals& globals, Action* action);
void AddTokenCommands(CLI::App& app, Globals& globals, Action* action);
void AddTrainingSetCommand(CLI::App& app, Globals& globals, Action* action);
void AddReproduceCommand(CLI::App& app, Globals& globals, Action* action);
void AddSkewCommand(CLI::App& app, Globals& globals, Action* action);
void AddLineageCommand(CLI::App& app, Globals& globals, Action* action);
void AddFreshnessCommand(CLI::App& app, Globals& globals, Action* action);
void AddCatalogCommand(CLI::App& app, Globals& globals, Action* action);
void AddCompactCommand(CLI::App& app, Globals& globals, Action* action);
void AddRegistryCommands(CLI::App& app, Globals& globals, Action* action);

}  // namespace fst::cli
