#include "plan.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "featherstone/core/hash.h"

namespace fst::registry {
namespace {

using definitions::SpecObject;
using nlohmann::json;
using Key = std::pair<std::string, std::string>;  // kind, name

// A scalar as users read it: plain tokens bare, other strings quoted, numbers and bools as
// JSON.
std::string ScalarText(const json& value) {
  if (!value.is_string()) return value.dump();
  const auto& text = value.get_ref<const std::string&>();
  const bool plain = !text.empty() && text.find_first_of(" \t\n\"'") == std::string::npos;
  return plain ? text : definitions::SpecText(value);
}

// Whether `value` is a non-empty list of objects each with a string "name".
bool NamedItems(const json& value) {
  if (!value.is_array() || value.empty()) return false;
  for (const auto& item : value) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) return false;
  }
  return true;
}

// How one item of the list under `key` is called in a change: "feature", "column".
std::string ItemWord(const std::string& key) {
  if (key == "schema") return "column";
  if (key == "request_schema") return "request column";
  return key.ends_with("s") ? key.substr(0, key.size() - 1) : key;
}

// "feature x added; feature y changed" for two lists of named items, in the order of `after`
// then the removed ones.
std::string DescribeItems(const std::string& key, const json& before, const json& after) {
  std::map<std::string, const json*> old_items;
  for (const auto& item : before) old_items[item["name"].get<std::string>()] = &item;
  std::string detail;
  auto add = [&](const std::string& part) { detail += (detail.empty() ? "" : "; ") + part; };
  const std::string word = ItemWord(key);
  std::set<std::string> seen;
  for (const auto& item : after) {
    const std::string name = item["name"].get<std::string>();
    seen.insert(name);
    auto it = old_items.find(name);
    if (it == old_items.end()) {
      add(word + " " + name + " added");
    } else if (*it->second != item) {
      add(word + " " + name + " changed");
    }
  }
  for (const auto& [name, item] : old_items) {
    if (!seen.contains(name)) add(word + " " + name + " removed");
  }
  // Same items in another order.
  return detail.empty() ? key + " reordered" : detail;
}

}  // namespace

const char* OpName(Change::Op op) {
  switch (op) {
    case Change::Op::kAdd: return "add";
    case Change::Op::kChange: return "change";
    case Change::Op::kRemove: return "remove";
  }
  return "?";
}

std::string DescribeChange(const json& before, const json& after) {
  std::set<std::string> keys;
  for (const auto& [key, value] : before.items()) keys.insert(key);
  for (const auto& [key, value] : after.items()) keys.insert(key);
  std::string detail;
  for (const auto& key : keys) {
    const bool in_before = before.contains(key), in_after = after.contains(key);
    std::string part;
    if (!in_before) {
      part = key + " added";
    } else if (!in_after) {
      part = key + " removed";
    } else if (before[key] == after[key]) {
      continue;
    } else if (before[key].is_primitive() && after[key].is_primitive()) {
      part = key + ": " + ScalarText(before[key]) + " -> " + ScalarText(after[key]);
    } else if (NamedItems(before[key]) && NamedItems(after[key])) {
      part = DescribeItems(key, before[key], after[key]);
    } else {
      part = key + " changed";
    }
    if (!detail.empty()) detail += "; ";
    detail += part;
  }
  return detail;
}

std::string SpecHash(const SpecObject& object) {
  return core::HashHex(definitions::SpecText(object.spec));
}

Result<std::vector<Change>> ComputeChanges(const std::vector<SpecObject>& current,
                                           const std::vector<SpecObject>& desired) {
  std::map<Key, const SpecObject*> wanted;
  for (const auto& object : desired) {
    constexpr int kKinds = static_cast<int>(std::size(definitions::kSpecKinds));
    if (definitions::KindRank(object.kind) >= kKinds) {
      return Status::Invalid("unknown kind '", object.kind, "' of '", object.name, "'");
    }
    if (!wanted.emplace(Key{object.kind, object.name}, &object).second) {
      return Status::Invalid(object.kind, " '", object.name, "' is defined twice");
    }
  }
  std::vector<Change> changes;
  std::set<Key> existing;
  for (const auto& object : current) {
    const Key key{object.kind, object.name};
    existing.insert(key);
    auto it = wanted.find(key);
    if (it == wanted.end()) {
      changes.push_back({Change::Op::kRemove, object.kind, object.name, ""});
    } else if (SpecHash(*it->second) != object.hash) {
      changes.push_back({Change::Op::kChange, object.kind, object.name,
                         DescribeChange(object.spec, it->second->spec)});
    }
  }
  for (const auto& [key, object] : wanted) {
    if (!existing.contains(key)) changes.push_back({Change::Op::kAdd, key.first, key.second, ""});
  }
  std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    const int ra = definitions::KindRank(a.kind), rb = definitions::KindRank(b.kind);
    return ra != rb ? ra < rb : a.name < b.name;
  });
  return changes;
}

}  // namespace fst::registry
