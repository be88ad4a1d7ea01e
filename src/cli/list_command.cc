// `featherstone list [KIND]` and `featherstone describe NAME`.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"

namespace fst::cli {
namespace {

Status List(const Globals& globals, const std::string& kind) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto records, repo->registry().List(kind));
  if (records.empty()) {
    std::cout << "Nothing applied" << (kind.empty() ? "" : " of kind " + kind) << ".\n";
    return Status::OK();
  }
  constexpr int kKindWidth = 24;  // "on_demand_feature_view" and two spaces
  std::cout << std::left << std::setw(kKindWidth) << "KIND" << std::setw(28) << "NAME" << std::setw(9)
            << "VERSION" << "HASH\n";
  for (const auto& record : records) {
    std::cout << std::setw(kKindWidth) << record.object.kind << std::setw(28) << record.object.name
              << std::setw(9) << record.version << record.object.hash.substr(0, 12) << "\n";
  }
  return Status::OK();
}

Status Describe(const Globals& globals, const std::string& name) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto history, repo->registry().History(name));
  if (history.empty()) return Status::KeyError("nothing named '", name, "' is applied");
  const auto& current = history.back();
  std::cout << current.object.kind << " " << name << " (version " << current.version << ")\n"
            << current.object.spec.dump(2) << "\nHistory:\n";
  for (const auto& record : history) {
    std::cout << "  v" << record.version << "  " << core::FormatTimestamp(record.applied_at)
              << "  " << record.object.hash.substr(0, 12) << "\n";
  }
  return Status::OK();
}

}  // namespace

void AddListCommands(CLI::App& app, Globals& globals, Action* action) {
  auto* list = app.add_subcommand(
      "list", "List applied definitions.\nExample: featherstone -C shop list feature_view");
  auto kind = std::make_shared<std::string>();
  list->add_option("kind", *kind, "entity | source | feature_view | on_demand_feature_view | feature_service");
  list->callback([&globals, action, kind] { *action = [&globals, kind] { return List(globals, *kind); }; });
  auto* describe = app.add_subcommand(
      "describe", "Show the applied spec of NAME and its versions.\n"
                  "Example: featherstone -C shop describe customer_features");
  auto name = std::make_shared<std::string>();
  describe->add_option("name", *name, "Definition name")->required();
  describe->callback([&globals, action, name] {
    *action = [&globals, name] { return Describe(globals, *name); };
  });
}

}  // namespace fst::cli
