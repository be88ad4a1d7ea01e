#include "featherstone/definitions/schema_evolution.h"

#include <cctype>
#include <set>

namespace fst::definitions {
namespace {

using core::ValueType;

// Identifiers in an expression (names of columns, features and functions alike).
std::set<std::string> Identifiers(const std::string& expr) {
  std::set<std::string> names;
  size_t i = 0;
  while (i < expr.size()) {
    const unsigned char c = static_cast<unsigned char>(expr[i]);
    if (c == '"' || c == '\'') {  // skip string literals
      const char quote = expr[i++];
      while (i < expr.size() && expr[i] != quote) i += expr[i] == '\\' ? 2 : 1;
      ++i;
    } else if (std::isalpha(c) || c == '_') {
      size_t end = i;
      while (end < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[end])) ||
                                   expr[end] == '_')) {
        ++end;
      }
      names.insert(expr.substr(i, end - i));
      i = end;
    } else if (std::isdigit(c)) {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) ||
                                 expr[i] == '.')) {
        ++i;
      }
    } else {
      ++i;
    }
  }
  return names;
}

// What reads `column` of source `source` in `repo`: "feature customer_features:amount",
// "join key of feature_view v", ... Views over other sources are ignored.
std::vector<std::string> Users(const Repo& repo, const std::string& source,
                               const std::string& column) {
  std::vector<std::string> users;
  for (const auto& view : repo.feature_views) {
    if (view.source != source) continue;
    for (const auto& key : JoinKeys(repo, view)) {
      if (key == column) users.push_back("join key '" + key + "' of feature_view " + view.name);
    }
    for (const auto& feature : view.features) {
      bool uses = feature.column == column;
      if (feature.kind == FeatureKind::kExpression) {
        uses = Identifiers(feature.expr).contains(column);
      }
      if (uses) users.push_back("feature " + view.name + ":" + feature.name);
    }
  }
  return users;
}

// Users in `current` whose view and feature (or view, for join keys) still exist in `desired`.
std::vector<std::string> RemainingUsers(const Repo& current, const Repo& desired,
                                        const std::string& source, const std::string& column) {
  std::vector<std::string> users;
  for (const auto& view : current.feature_views) {
    if (view.source != source) continue;
    const FeatureView* kept = desired.FindView(view.name);
    if (kept == nullptr) continue;
    for (const auto& key : JoinKeys(current, view)) {
      if (key == column) users.push_back("join key '" + key + "' of feature_view " + view.name);
    }
    for (const auto& feature : view.features) {
      const bool uses = feature.kind == FeatureKind::kExpression
                            ? Identifiers(feature.expr).contains(column)
                            : feature.column == column;
      if (!uses) continue;
      for (const auto& f : kept->features) {
        if (f.name == feature.name) users.push_back("feature " + view.name + ":" + feature.name);
      }
    }
  }
  return users;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string Name(ValueType type) { return std::string(core::ValueTypeName(type)); }

}  // namespace

bool IsWidening(ValueType from, ValueType to) {
  switch (from) {
    case ValueType::kInt32:
      return to == ValueType::kInt64 || to == ValueType::kFloat64;
    case ValueType::kInt64:
    case ValueType::kFloat32:
      return to == ValueType::kFloat64;
    default:
      return false;
  }
}

EvolutionCheck CheckSchemaEvolution(const Repo& current, const Repo& desired,
                                    const std::function<bool(const std::string&)>& has_data) {
  EvolutionCheck check;
  for (const auto& before : current.sources) {
    const Source* after = desired.FindSource(before.name);
    if (after == nullptr) continue;
    const std::string prefix = "source '" + before.name + "': column '";
    for (const auto& old_column : before.schema) {
      const std::string& name = old_column.name;
      const core::ColumnSpec* now = core::FindColumn(after->schema, name);
      if (now == nullptr) {
        std::vector<std::string> users = RemainingUsers(current, desired, before.name, name);
        if (before.timestamp_field == name) users.push_back("the timestamp_field");
        if (before.created_timestamp_field == name) users.push_back("the created_timestamp_field");
        if (users.empty()) {
          check.notes.push_back(prefix + name + "' is removed; no feature reads it, old files "
                                "keep it unread");
        } else {
          check.refused.push_back(prefix + name + "' is removed or renamed, but " + Join(users) +
                                  (users.size() > 1 ? " use" : " uses") +
                                  " it (old files hold it under this name); keep the column, or "
                                  "remove what uses it in the same apply");
        }
        continue;
      }
      if (now->type == old_column.type) continue;
      const std::string change = Name(old_column.type) + " -> " + Name(now->type);
      if (IsWidening(old_column.type, now->type)) {
        check.notes.push_back(prefix + name + "' widens " + change +
                              "; old files are cast when read");
        continue;
      }
      std::vector<std::string> users = Users(desired, before.name, name);
      if (after->timestamp_field == name) users.push_back("the timestamp_field");
      if (users.empty()) {
        check.notes.push_back(prefix + name + "' changes " + change +
                              "; no feature reads it");
      } else {
        check.refused.push_back(prefix + name + "' changes " + change + ", but " + Join(users) +
                                (users.size() > 1 ? " use" : " uses") +
                                " it; only widening is accepted (int32 -> int64 -> float64, "
                                "float32 -> float64)");
      }
    }
    const bool data = has_data(before.name);
    for (const auto& column : after->schema) {
      if (core::FindColumn(before.schema, column.name) != nullptr) continue;
      if (!column.nullable && data) {
        check.refused.push_back(prefix + column.name +
                                "' is added with nullable: false, but files already ingested "
                                "have no values for it; declare it nullable: true");
      } else if (after->timestamp_field == column.name && data) {
        check.refused.push_back(prefix + column.name +
                                "' is added as the timestamp_field, but files already ingested "
                                "have no values for it");
      } else {
        check.notes.push_back(prefix + column.name + "' is added" +
                              (data ? "; old files read it as nulls" : ""));
      }
    }
  }
  return check;
}

}  // namespace fst::definitions
