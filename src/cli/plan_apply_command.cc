// `featherstone plan` and `featherstone apply`.
#include <iostream>

#include "command.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/repo/plan_apply.h"

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
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto result, repo::PlanApply(*repo, definitions, apply));
  PrintChanges(result.changes);
  for (const auto& note : result.notes) std::cout << "  note: " << note << "\n";
  if (apply && !result.changes.empty()) {
    std::cout << "Applied " << result.changes.size() << " change(s).\n";
  }
  return result.refused;
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
