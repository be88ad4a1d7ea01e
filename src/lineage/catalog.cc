#include "featherstone/lineage/catalog.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "featherstone/core/closest_name.h"

namespace fst::lineage {
namespace {

using ojson = nlohmann::ordered_json;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The name a user would type for the entry: a feature's own name after "VIEW:".
std::string ShortName(const registry::CatalogEntry& entry) {
  if (entry.kind != "feature") return entry.name;
  return entry.name.substr(entry.name.find(':') + 1);
}

bool KnownKind(const std::string& kind) {
  return kind == "feature" ||
         std::find(std::begin(definitions::kSpecKinds), std::end(definitions::kSpecKinds),
                   kind) != std::end(definitions::kSpecKinds);
}

}  // namespace

std::string FtsQuery(const std::string& text) {
  std::string query, word;
  auto flush = [&] {
    if (word.empty()) return;
    query += (query.empty() ? "\"" : " \"") + word + "\"*";
    word.clear();
  };
  for (unsigned char c : text) {
    // Bytes of multi-byte UTF-8 characters are kept: unicode61 treats letters of any script
    // as word characters.
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(std::tolower(c));
    } else {
      flush();
    }
  }
  flush();
  return query;
}

Result<CatalogResult> SearchCatalog(registry::Registry& registry, const CatalogQuery& query) {
  if (query.limit < 0) return Status::Invalid("limit ", query.limit, ": expected >= 0");
  if (!query.kind.empty() && !KnownKind(query.kind)) {
    return Status::Invalid("unknown kind '", query.kind,
                           "'; expected entity, source, feature_view, on_demand_feature_view, "
                           "feature_service or feature");
  }
  const std::string match = FtsQuery(query.text);
  FST_ASSIGN_OR_RAISE(auto matches,
                      registry.SearchCatalog(match, {query.kind, query.owner, query.tag}));
  CatalogResult result;
  const std::string wanted = Lower(query.text);
  for (auto& match_row : matches) {
    CatalogHit hit;
    hit.exact_name = !wanted.empty() && (Lower(match_row.entry.name) == wanted ||
                                         Lower(ShortName(match_row.entry)) == wanted);
    hit.score = match_row.bm25;
    hit.entry = std::move(match_row.entry);
    result.hits.push_back(std::move(hit));
  }
  // The registry orders by score, kind, name: a stable partition keeps that order within
  // each group.
  std::stable_partition(result.hits.begin(), result.hits.end(),
                        [](const CatalogHit& hit) { return hit.exact_name; });
  if (query.limit > 0 && result.hits.size() > static_cast<size_t>(query.limit)) {
    result.hits.resize(static_cast<size_t>(query.limit));
  }
  if (result.hits.empty() && !query.text.empty()) {
    FST_ASSIGN_OR_RAISE(auto all, registry.SearchCatalog("", {}));
    std::vector<std::string> names;
    for (const auto& row : all) names.push_back(ShortName(row.entry));
    result.closest_name = core::ClosestName(query.text, names);
  }
  return result;
}

ojson CatalogJson(const CatalogResult& result) {
  ojson rows = ojson::array();
  for (const auto& hit : result.hits) {
    rows.push_back({{"kind", hit.entry.kind},
                    {"name", hit.entry.name},
                    {"description", hit.entry.description},
                    {"owner", hit.entry.owner},
                    {"tags", hit.entry.tags},
                    {"labels", hit.entry.labels},
                    {"exact_name", hit.exact_name},
                    {"score", hit.score}});
  }
  return rows;
}

std::string NoMatchMessage(const CatalogQuery& query, const CatalogResult& result) {
  std::string message = query.text.empty() ? "no object" : "no object matches '" + query.text + "'";
  std::string filters;
  auto add = [&](const char* what, const std::string& value) {
    if (!value.empty()) filters += std::string(filters.empty() ? "" : ", ") + what + " " + value;
  };
  add("tag", query.tag);
  add("owner", query.owner);
  add("kind", query.kind);
  if (!filters.empty()) message += query.text.empty() ? " with " + filters : " (" + filters + ")";
  if (!result.closest_name.empty()) message += "; did you mean '" + result.closest_name + "'?";
  return message;
}

}  // namespace fst::lineage
