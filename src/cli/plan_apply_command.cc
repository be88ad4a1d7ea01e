// `featherstone plan` and `featherstone apply`.
#include <iostream>

#include "command.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/pipeline/apply_checks.h"
#include "featherstone/pipeline/check_features.h"

namespace fst::cli {
namespace {

void PrintChanges(const std::vector<registry::Change>& changes) {
  if (changes.empty()) {
    std::cout << "No changes.\n";
    return;
  }
  for (const auto& change : changes) {
    const char* mark = change.op == registry::Change::Op::kAdd      ? "+"
                       : change.op == registry::Change::Op::kRemove ? "-"
                                                                    : "~";
    std::cout << mark << " " << change.kind << " " << change.name;
    if (!change.detail.empty()) std::cout << " (" << change.detail << ")";
    std::cout << "\n";
  }
}

Status Run(const Globals& globals, bool apply) {
  FST_ASSIGN_OR_RAISE(auto definitions, definitions::LoadRepo(globals.repo));
  FST_RETURN_NOT_OK(pipeline::CheckFeatures(definitions));
  FST_RETURN_NOT_OK(pipeline::CheckContracts(definitions));
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  const auto objects = definitions::ToSpecObjects(definitions);
  FST_ASSIGN_OR_RAISE(auto evolution, pipeline::CheckEvolution(*repo, definitions));
  Status refused = Status::OK();
  if (!evolution.refused.empty()) {
    std::string message = "schema change refused (old files could not be read as declared):";
    for (const auto& line : evolution.refused) message += "\n  " + line;
    refused = Status::Invalid(message);
  }
  if (!apply) {
    FST_ASSIGN_OR_RAISE(auto changes, repo->registry().Plan(objects));
    PrintChanges(changes);
    for (const auto& note : evolution.notes) std::cout << "  note: " << note << "\n";
    return refused;
  }
  FST_RETURN_NOT_OK(refused);
  FST_ASSIGN_OR_RAISE(auto changes, repo->registry().Apply(objects));
  PrintChanges(changes);
  for (const auto& note : evolution.notes) std::cout << "  note: " << note << "\n";
  if (!changes.empty()) std::cout << "Applied " << changes.size() << " change(s).\n";
  return Status::OK();
}

}  // namespace

void AddPlanApplyCommands(CLI::App& app, Globals& globals, Action* action) {
  auto* plan = app.add_subcommand(
      "plan", "Show what apply would add (+), change (~) or remove (-).\n"
              "Example: featherstone -C shop plan");
  plan->callback([&globals, action] { *action = [&globals] { return Run(globals, false); }; });
  auto* apply = app.add_subcommand(
      "apply", "Validate featherstone.yaml (and other *.yaml beside it) and store the "
               "definitions in the registry, in one transaction.\n"
               "Example: featherstone -C shop apply");
  apply->callback([&globals, action] { *action = [&globals] { return Run(globals, true); }; });
}

}  // namespace fst::cli
