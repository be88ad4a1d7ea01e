// The featherstone command. Exit codes: 0 success, 1 error, 2 usage error (DESIGN 2b).
#include <iostream>

#include "command.h"
#include "featherstone/core/arrow_init.h"
#include "featherstone/core/time.h"

namespace fst::cli {

Result<std::unique_ptr<pipeline::RepoContext>> OpenRepo(const Globals& globals) {
  return pipeline::RepoContext::Open(globals.repo);
}

Result<int64_t> ParseTimeOption(const std::string& option, const std::string& text) {
  auto parsed = core::ParseTimestamp(text);
  if (!parsed.ok()) return Status::Invalid(option, ": ", parsed.status().message());
  return parsed;
}

}  // namespace fst::cli

int main(int argc, char** argv) {
  using namespace fst::cli;
  CLI::App app{
      "Featherstone: a feature store. Declare entities, sources and features in "
      "featherstone.yaml; ingest, materialize, and serve point-in-time-correct training sets "
      "and online lookups.\n\nStart with:  featherstone init shop && featherstone -C shop apply",
      "featherstone"};
  app.require_subcommand(1);
  Globals globals;
  app.add_option("-C,--repo", globals.repo, "Feature repository folder (default: current folder)");
  Action action;
  AddInitCommand(app, globals, &action);
  AddPlanApplyCommands(app, globals, &action);
  AddListCommands(app, globals, &action);
  AddIngestCommand(app, globals, &action);
  AddMaterializeCommand(app, globals, &action);
  AddHistoricalCommand(app, globals, &action);
  AddOnlineCommand(app, globals, &action);
  AddValidateCommand(app, globals, &action);
  AddQuarantineCommands(app, globals, &action);
  AddBreakerCommands(app, globals, &action);
  AddQualityCommand(app, globals, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  fst::Status status = fst::core::EnsureArrowCompute();
  if (status.ok()) status = action();
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
