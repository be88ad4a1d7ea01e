// The featherstone command. Exit codes: 0 success, 1 error, 2 usage error (DESIGN 2b).
#include <exception>
#include <iostream>
#include <string_view>

#include "command.h"
#include "featherstone/core/arrow_init.h"
#include "featherstone/core/closest_name.h"
#include "featherstone/core/time.h"

namespace fst::cli {

Result<std::unique_ptr<repo::RepoContext>> OpenRepo(const Globals& globals) {
  return repo::RepoContext::Open(globals.repo);
}

Result<int64_t> ParseTimeOption(const std::string& option, const std::string& text) {
  auto parsed = core::ParseTimestamp(text);
  if (!parsed.ok()) return Status::Invalid(option, ": ", parsed.status().message());
  return parsed;
}

Status ParseTimeRange(const std::string& from, const std::string& to, int64_t* from_us,
                      int64_t* to_us) {
  if (!from.empty()) {
    FST_ASSIGN_OR_RAISE(*from_us, ParseTimeOption("--from", from));
  }
  if (!to.empty()) {
    FST_ASSIGN_OR_RAISE(*to_us, ParseTimeOption("--to", to));
  }
  if (*from_us > *to_us) return Status::Invalid("--from is after --to");
  return Status::OK();
}

namespace {

// The first argument that is not an option of the top-level command (nullptr when none).
const char* FirstVerb(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-C" || arg == "--repo") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) continue;
    return argv[i];
  }
  return nullptr;
}

// Invalid "unknown command 'X'; did you mean 'Y'?" when the verb is not a subcommand of `app`.
fst::Status CheckVerb(const CLI::App& app, int argc, char** argv) {
  const char* verb = FirstVerb(argc, argv);
  if (verb == nullptr) return fst::Status::OK();
  std::vector<std::string> verbs;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == verb) return fst::Status::OK();
    verbs.push_back(sub->get_name());
  }
  const std::string closest = fst::core::ClosestName(verb, verbs, 3);
  std::string known;
  for (const auto& name : verbs) known += (known.empty() ? "" : ", ") + name;
  return fst::Status::Invalid("unknown command '", verb, "'",
                              closest.empty() ? "" : "; did you mean '" + closest + "'?",
                              "\ncommands: ", known, "\nRun 'featherstone --help' for more.");
}

}  // namespace

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
  AddServeCommand(app, globals, &action);
  AddStreamCommand(app, globals, &action);
  AddPushCommand(app, globals, &action);
  AddTokenCommands(app, globals, &action);
  AddTrainingSetCommand(app, globals, &action);
  AddReproduceCommand(app, globals, &action);
  AddSkewCommand(app, globals, &action);
  AddLineageCommand(app, globals, &action);
  AddFreshnessCommand(app, globals, &action);
  AddCatalogCommand(app, globals, &action);
  AddCompactCommand(app, globals, &action);
  AddRegistryCommands(app, globals, &action);
  if (fst::Status verb = CheckVerb(app, argc, argv); !verb.ok()) {
    std::cerr << "error: " << verb.message() << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  fst::Status status;
  try {
    status = fst::core::EnsureArrowCompute();
    if (status.ok()) status = action();
  } catch (const std::exception& e) {
    status = fst::Status::UnknownError("internal error: ", e.what());
  }
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    return 1;
  }
  return globals.exit_code;
}
