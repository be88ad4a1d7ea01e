// Registry records of the catalog (docs/catalog.md): one entry per applied object and per
// feature of a view, indexed for full-text search (SQLite FTS5; tsvector on PostgreSQL)
// whenever definitions are applied.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fst::registry {

// What the catalog index holds of an object: its latest applied version's metadata.
struct CatalogEntry {
  std::string kind;  // a definitions::kSpecKinds kind, or "feature" (of a view)
  std::string name;  // "VIEW:FEATURE" for a feature
  std::string description;
  std::string owner;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
};

// Exact-match filters of a catalog search; empty = any. Owner and tag ignore case.
// Members are brace-initialized so designated initializers may name only some.
struct CatalogFilter {
  std::string kind{};
  std::string owner{};
  std::string tag{};
};

struct CatalogMatch {
  CatalogEntry entry;
  // FTS5 bm25, on PostgreSQL -ts_rank (lower is better either way; 0 without a text query)
  double bm25 = 0;
};

}  // namespace fst::registry
