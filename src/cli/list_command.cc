// `featherstone list [KIND]` and `featherstone describe NAME`.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/lineage/describe.h"

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

Status Describe(const Globals& globals, const std::string& name, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo->Applied());
  FST_ASSIGN_OR_RAISE(auto description, lineage::DescribeObject(*applied, repo->registry(), name,
                                                                core::NowMicros()));
  std::cout << (json ? description.dump(2) + "\n" : lineage::DescribeText(description));
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
      "describe",
      "Show the applied object NAME (entity, source, feature view, on-demand view, service, or "
      "VIEW:FEATURE): its definition, owner, tags, labels and description, its versions with "
      "what changed between them, its producers and consumers with their latest runs, and its "
      "data (rows ingested, watermark and its age). docs/catalog.md.\n"
      "Example: featherstone -C shop describe customer_features --json");
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  describe->add_option("name", *name, "Definition name")->required();
  describe->add_flag("--json", *json, "Print the same as JSON (the stored spec under \"spec\")");
  describe->callback([&globals, action, name, json] {
    *action = [&globals, name, json] { return Describe(globals, *name, *json); };
  });
}

}  // namespace fst::cli
