#include "catalog_index.h"

#include <algorithm>
#include <cctype>
#include <vector>

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

// PostgreSQL's counterpart of FTS5 over catalog_fts: one weighted document per row (the
// weights order as kRank's), matched by a tsquery.
constexpr char kDocument[] =
    "(setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', tags), "
    "'B') || setweight(to_tsvector('simple', labels), 'C') || "
    "setweight(to_tsvector('simple', description), 'D'))";
constexpr char kQuery[] = "to_tsquery('simple', ?4)";

// One word of a tsquery, quoted, lower-cased; `prefix` matches words starting with it.
std::string TsTerm(std::string word, bool prefix) {
  std::string out = "'";
  for (char c : word) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '\'' || c == '\\') out += c;
  }
  return out + "'" + (prefix ? ":*" : "");
}

// The FTS5 query `match` as a PostgreSQL tsquery: words and "quoted phrases" (a trailing *
// makes the last word a prefix), joined by AND unless OR or NOT stands between them;
// parentheses group.
// Errors: Invalid for an unterminated phrase.
Result<std::string> TsQuery(const std::string& match) {
  std::string out;
  bool operand_ends = false;  // the last item ends an operand: a following one needs an operator
  size_t i = 0;
  auto join = [&](const std::string& op) {
    if (operand_ends) out += " " + op + " ";
    operand_ends = false;
  };
  while (i < match.size()) {
    const char c = match[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '(' || c == ')') {
      if (c == '(') join("&");
      out += c;
      operand_ends = c == ')';
      ++i;
    } else if (c == '"') {
      const size_t end = match.find('"', i + 1);
      if (end == std::string::npos) {
        return Status::Invalid("catalog search '", match, "': unterminated string");
      }
      // "a phrase"* : the last word of the phrase is a prefix.
      const bool prefix = end + 1 < match.size() && match[end + 1] == '*';
      std::vector<std::string> words;
      for (size_t w = i + 1; w < end;) {
        const size_t stop = std::min(match.find(' ', w), end);
        if (stop > w) words.push_back(match.substr(w, stop - w));
        w = stop + 1;
      }
      join("&");
      if (words.empty()) out += "''";
      for (size_t k = 0; k < words.size(); ++k) {
        out += (k == 0 ? "" : " <-> ") + TsTerm(words[k], prefix && k + 1 == words.size());
      }
      operand_ends = true;
      i = end + (prefix ? 2 : 1);
    } else {
      size_t end = i;
      while (end < match.size() && !std::isspace(static_cast<unsigned char>(match[end])) &&
             match[end] != '(' && match[end] != ')' && match[end] != '"') {
        ++end;
      }
      const std::string word = match.substr(i, end - i);
      i = end;
      if (word == "OR" || word == "AND") {
        out += word == "OR" ? " | " : " & ";
        operand_ends = false;
      } else if (word == "NOT") {
        out += " & !";
        operand_ends = false;
      } else {
        join("&");
        const bool prefix = word.size() > 1 && word.back() == '*';
        out += TsTerm(prefix ? word.substr(0, word.size() - 1) : word, prefix);
        operand_ends = true;
      }
    }
  }
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

Status RebuildCatalogIndex(Db* db, const std::vector<CatalogEntry>& entries) {
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

Result<std::vector<CatalogMatch>> QueryCatalogIndex(Db* db, const std::string& match,
                                                    const CatalogFilter& filter) {
  const bool sqlite = db->dialect() == Dialect::kSqlite;
  std::string query = match;
  if (!sqlite && !match.empty()) {
    FST_ASSIGN_OR_RAISE(query, TsQuery(match));
  }
  std::string sql = "SELECT kind, name, description, owner, tags_json, labels_json, ";
  const std::string rank =
      sqlite ? kRank : "-ts_rank(" + std::string(kDocument) + ", " + kQuery + ")";
  const std::string condition =
      sqlite ? "catalog_fts MATCH ?4" : std::string(kDocument) + " @@ " + kQuery;
  sql += match.empty() ? "0.0" : rank;
  sql += " FROM catalog_fts WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR lower(owner) = lower(?2))"
         " AND (?3 = '' OR EXISTS (SELECT 1 FROM ";
  sql += sqlite ? "json_each(tags_json) AS t"
                : "json_array_elements_text(tags_json::json) AS t(value)";
  sql += " WHERE lower(t.value) = lower(?3)))";
  if (!match.empty()) sql += " AND " + condition;
  sql += " ORDER BY 7, kind, name";
  FST_ASSIGN_OR_RAISE(Statement select, db->Prepare(sql));
  select.Bind(filter.kind).Bind(filter.owner).Bind(filter.tag);
  if (!match.empty()) select.Bind(query);
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
