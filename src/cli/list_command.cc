// `featherstone list [KIND]` and `featherstone describe NAME`.
#include <iomanip>
#include <iostream>

#include "command.h"
#include "featherstone/core/closest_name.h"
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

// A scalar or a list of scalars as one line of text: strings bare, lists comma-separated.
std::string Inline(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ", ") + Inline(item);
    return out;
  }
  if (value.is_object()) {
    std::string out;
    for (const auto& [key, item] : value.items()) {
      out += (out.empty() ? "" : ", ") + key + ": " + Inline(item);
    }
    return "{" + out + "}";
  }
  return value.dump();
}

// The spec as indented "key: value" lines; a list of objects as one line per item.
void PrintSpec(const nlohmann::json& spec, const std::string& indent) {
  for (const auto& [key, value] : spec.items()) {
    if (key == "name") continue;
    const bool objects = value.is_array() && !value.empty() && value.front().is_object();
    if (value.is_object() && !value.empty()) {
      std::cout << indent << key << ":\n";
      PrintSpec(value, indent + "  ");
    } else if (objects) {
      std::cout << indent << key << ":\n";
      for (const auto& item : value) {
        std::string line;
        if (item.contains("name")) line = Inline(item["name"]);
        for (const auto& [field, field_value] : item.items()) {
          const bool empty = field_value.is_null() ||
                             (field_value.is_string() && field_value.get<std::string>().empty());
          if (field == "name" || empty) continue;
          line += (line.empty() ? "" : "  ") + field + "=" + Inline(field_value);
        }
        std::cout << indent << "  - " << line << "\n";
      }
    } else if (!value.is_null() && !(value.is_string() && value.get<std::string>().empty())) {
      std::cout << indent << key << ": " << Inline(value) << "\n";
    }
  }
}

Status Describe(const Globals& globals, const std::string& name, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto history, repo->registry().History(name));
  if (history.empty()) {
    FST_ASSIGN_OR_RAISE(auto records, repo->registry().List(""));
    std::vector<std::string> names;
    for (const auto& record : records) names.push_back(record.object.name);
    const std::string closest = core::ClosestName(name, names);
    return Status::KeyError("nothing named '", name, "' is applied",
                            closest.empty() ? "" : "; did you mean '" + closest + "'?");
  }
  const auto& current = history.back();
  if (json) {
    std::cout << current.object.spec.dump(2) << "\n";
    return Status::OK();
  }
  std::cout << current.object.kind << " " << name << "  (version " << current.version
            << ", applied " << core::FormatTimestamp(current.applied_at)
            << (current.removed ? ", removed" : "") << ")\n";
  PrintSpec(current.object.spec, "  ");
  std::cout << "history:\n";
  for (const auto& record : history) {
    std::cout << "  v" << record.version << "  " << core::FormatTimestamp(record.applied_at)
              << "  " << record.object.hash.substr(0, 12) << (record.removed ? "  removed" : "")
              << "\n";
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
      "describe", "Show the applied definition of NAME (entity, source, feature view, on-demand "
                  "view or service) as readable text, and its versions; --json prints the "
                  "stored spec.\n"
                  "Example: featherstone -C shop describe customer_features");
  auto name = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  describe->add_option("name", *name, "Definition name")->required();
  describe->add_flag("--json", *json, "Print the stored spec as JSON");
  describe->callback([&globals, action, name, json] {
    *action = [&globals, name, json] { return Describe(globals, *name, *json); };
  });
}

}  // namespace fst::cli
