#include "catalog_index.h"

#include <nlohmann/json.hpp>

namespace fst::registry {
namespace {

using nlohmann::json;

// Relative weights of the indexed columns in bm25: a word of the name counts most, then a
// tag, a label, the description.
constexpr char kRank[] = "bm25(catalog_fts, 10.0, 1.0, 5.0, 2.0)";

CatalogEntry EntryOf(const std::string& kind, const std::string& name, const json& spec) {
  CatalogEntry entry;
  entry.kind = kind;
  entry.name = name;
  entry.description = spec.value("description", "");
  entry.owner = spec.value("owner", "");
  if (spec.contains("tags")) entry.tags = spec.at("tags").get<std::vector<std::string>>();
  if (spec.contains("labels")) {
    entry.labels = spec.at("labels").get<std::map<std::string, std::string>>();
  }
  return entry;
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::string LabelWords(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [key, value] : labels) out += (out.empty() ? "" : " ") + key + " " + value;
  return out;
}

}  // namespace

std::vector<CatalogEntry> CatalogEntries(const std::vector<definitions::SpecObject>& objects) {
  std::vector<CatalogEntry> entries;
  for (const auto& object : objects) {
    entries.push_back(EntryOf(object.kind, object.name, object.spec));
    const bool view = object.kind == "feature_view" || object.kind == "on_demand_feature_view";
    if (!view || !object.spec.contains("features")) continue;
    const std::string view_owner = entries.back().owner;
    for (const auto& feature : object.spec.at("features")) {
      CatalogEntry entry =
          EntryOf("feature", object.name + ":" + feature.value("name", ""), feature);
      if (entry.owner.empty()) entry.owner = view_owner;
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

Status RebuildCatalogIndex(SqliteDb* db, const std::vector<CatalogEntry>& entries) {
  FST_RETURN_NOT_OK(db->Exec("DELETE FROM catalog_fts"));
  FST_ASSIGN_OR_RAISE(
      Statement insert,
      db->Prepare("INSERT INTO catalog_fts(name, description, tags, labels, kind, owner, "
                  "tags_json, labels_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  for (const auto& entry : entries) {
    insert.Reset();
    FST_RETURN_NOT_OK(insert.Bind(entry.name)
                          .Bind(entry.description)
                          .Bind(Joined(entry.tags))
                          .Bind(LabelWords(entry.labels))
                          .Bind(entry.kind)
                          .Bind(entry.owner)
                          .Bind(json(entry.tags).dump())
                          .Bind(json(entry.labels).dump())
                          .Run());
  }
  return Status::OK();
}

Result<std::vector<CatalogMatch>> QueryCatalogIndex(SqliteDb* db, const std::string& match,
                                                    const CatalogFilter& filter) {
  std::string sql = std::string("SELECT kind, name, description, owner, tags_json, labels_json, ") +
                    (match.empty() ? "0.0" : kRank) +
                    " FROM catalog_fts WHERE (?1 = '' OR kind = ?1)"
                    " AND (?2 = '' OR owner = ?2 COLLATE NOCASE)"
                    " AND (?3 = '' OR EXISTS (SELECT 1 FROM json_each(tags_json)"
                    " WHERE value = ?3 COLLATE NOCASE))";
  if (!match.empty()) sql += " AND catalog_fts MATCH ?4";
  sql += " ORDER BY 7, kind, name";
  FST_ASSIGN_OR_RAISE(Statement select, db->Prepare(sql));
  select.Bind(filter.kind).Bind(filter.owner).Bind(filter.tag);
  if (!match.empty()) select.Bind(match);
  std::vector<CatalogMatch> matches;
  for (;;) {
    auto row = select.Step();
    if (!row.ok()) {
      return Status::Invalid("catalog search '", match, "': ", row.status().message());
    }
    if (!*row) break;
    CatalogMatch found;
    found.entry.kind = select.Text(0);
    found.entry.name = select.Text(1);
    found.entry.description = select.Text(2);
    found.entry.owner = select.Text(3);
    found.entry.tags = json::parse(select.Text(4)).get<std::vector<std::string>>();
    found.entry.labels =
        json::parse(select.Text(5)).get<std::map<std::string, std::string>>();
    found.bm25 = select.Real(6);
    matches.push_back(std::move(found));
  }
  return matches;
}

}  // namespace fst::registry
