// The catalog's full-text index (docs/catalog.md), kept in the table catalog_fts (registry
// migration 6; FTS5 on SQLite, a plain table searched by tsvector/tsquery on PostgreSQL):
// rebuilt from the current objects inside every apply that changed something, queried by
// SearchCatalog.
#pragma once

#include <string>
#include <vector>

#include "featherstone/definitions/spec.h"
#include "featherstone/registry/catalog_records.h"
#include "sql_db.h"

namespace fst::registry {

// The entries of `objects`: one per object, plus one per feature of a feature view or an
// on-demand view ("VIEW:FEATURE", owner inherited from the view when the feature has none).
std::vector<CatalogEntry> CatalogEntries(const std::vector<definitions::SpecObject>& objects);

// Replaces the index's rows with `entries`. Call inside a transaction.
Status RebuildCatalogIndex(Db* db, const std::vector<CatalogEntry>& entries);

// See Registry::SearchCatalog.
Result<std::vector<CatalogMatch>> QueryCatalogIndex(Db* db, const std::string& match,
                                                    const CatalogFilter& filter);

}  // namespace fst::registry
