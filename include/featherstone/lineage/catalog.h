// Catalog search (docs/catalog.md): the applied objects and the features of views, ranked for
// a text query by the registry's full-text index. `featherstone catalog search`, GET
// /api/catalog/search and FeatureStore.search_catalog all call SearchCatalog and print
// CatalogJson, so the three give the same rows in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "featherstone/core/status.h"
#include "featherstone/registry/registry.h"

namespace fst::lineage {

// Members are brace-initialized so designated initializers may name only some.
struct CatalogQuery {
  std::string text{};   // words; empty = every object passing the filters
  std::string tag{};    // only objects with this tag (any case); empty = any
  std::string owner{};  // only objects of this owner (any case); empty = any
  std::string kind{};   // a spec kind or "feature"; empty = any
  int64_t limit = 20;   // at most this many hits; 0 = all
};

struct CatalogHit {
  registry::CatalogEntry entry;
  bool exact_name = false;  // the text is the object's name (or the feature's own name)
  double score = 0;         // FTS5 bm25, lower is better; 0 without text
};

struct CatalogResult {
  std::vector<CatalogHit> hits;  // exact name matches first, then by score, kind, name
  std::string closest_name;      // no hits: the applied name closest to the text, or ""
};

// The FTS5 query of `text`: each word (a run of letters and digits, lowercased) as a quoted
// prefix term, all required; "" when the text has no word. E.g. "Order value" ->
// "\"order\"* \"value\"*".
std::string FtsQuery(const std::string& text);

// Errors: Invalid for a negative limit or an unknown kind; those of the registry.
Result<CatalogResult> SearchCatalog(registry::Registry& registry, const CatalogQuery& query);

// [{kind, name, description, owner, tags, labels, exact_name, score}] in rank order.
nlohmann::ordered_json CatalogJson(const CatalogResult& result);

// "no object matches 'TEXT'" with the filters that applied and a did-you-mean hint.
std::string NoMatchMessage(const CatalogQuery& query, const CatalogResult& result);

}  // namespace fst::lineage
