// `featherstone catalog search [TEXT] [--tag T] [--owner O] [--kind K] [--limit N] [--json]`
#include <iostream>

#include "command.h"
#include "featherstone/lineage/catalog.h"
#include "text_table.h"

namespace fst::cli {
namespace {

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ",") + word;
  return out;
}

Status Search(const Globals& globals, const lineage::CatalogQuery& query, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto result, lineage::SearchCatalog(repo->registry(), query));
  if (json) {
    std::cout << lineage::CatalogJson(result).dump(2) << "\n";
    return Status::OK();
  }
  if (result.hits.empty()) {
    std::cout << lineage::NoMatchMessage(query, result) << "\n";
    return Status::OK();
  }
  TextTable table({"KIND", "NAME", "OWNER", "TAGS", "DESCRIPTION"});
  for (const auto& hit : result.hits) {
    table.Add({hit.entry.kind, hit.entry.name, hit.entry.owner, Joined(hit.entry.tags),
               hit.entry.description});
  }
  table.Print(std::cout);
  return Status::OK();
}

}  // namespace

void AddCatalogCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* catalog = app.add_subcommand("catalog", "Find applied objects (docs/catalog.md).");
  catalog->require_subcommand(1);
  auto* search = catalog->add_subcommand(
      "search",
      "Rank the applied entities, sources, views, features and services by TEXT: an exact "
      "name first, then by how well the words (prefixes) match their names, tags, labels and "
      "descriptions (SQLite FTS5 bm25). Without TEXT, every object passing the filters.\n"
      "Example: featherstone -C shop catalog search \"order value\" --owner growth");
  auto query = std::make_shared<lineage::CatalogQuery>();
  auto json = std::make_shared<bool>(false);
  search->add_option("text", query->text, "Words to look for");
  search->add_option("--tag", query->tag, "Only objects with this tag");
  search->add_option("--owner", query->owner, "Only objects of this owner");
  search->add_option("--kind", query->kind,
                     "entity | source | feature_view | on_demand_feature_view | "
                     "feature_service | feature");
  search->add_option("--limit", query->limit, "At most N results (0 = all)")
      ->default_val(20);
  search->add_flag("--json", *json, "Print the ranked rows as a JSON array");
  search->callback([&globals, action, query, json] {
    *action = [&globals, query, json] { return Search(globals, *query, *json); };
  });
}

}  // namespace fst::cli
