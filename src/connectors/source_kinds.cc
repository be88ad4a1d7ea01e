// The table of source kinds (featherstone/connectors/source_kind.h). A new kind: one file in
// this folder defining `const SourceKind& NameKind()`, declared and listed below.
#include <algorithm>
#include <string>
#include <vector>

#include "featherstone/connectors/source_kind.h"
#include "featherstone/core/closest_name.h"

namespace fst::connectors {

// Kinds with files of their own.
const SourceKind& FilesKind();            // files_connector.cc
const SourceKind& PythonTransformKind();  // python_transform_kind.cc

namespace {

const std::vector<SourceKind>& Table() {
  static const std::vector<SourceKind> kinds = {
      {"file", {}, nullptr, nullptr},   // `featherstone ingest SOURCE FILE...` (OpenFile)
      {"push", {}, nullptr, nullptr},   // `featherstone push`, POST /push
      {"kafka", {}, nullptr, nullptr},  // `featherstone stream` (its keys: yaml_reader.cc)
      // `featherstone ingest SOURCE` through OpenPostgres (postgres.h; its keys: yaml_reader.cc)
      {"postgres", {}, nullptr, nullptr},
      FilesKind(),
      PythonTransformKind(),
  };
  return kinds;
}

std::string Names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::span<const SourceKind> SourceKinds() { return Table(); }

const SourceKind* FindSourceKind(std::string_view kind) {
  for (const auto& entry : Table()) {
    if (entry.kind == kind) return &entry;
  }
  return nullptr;
}

void CheckSourceKind(const definitions::Source& source, std::vector<std::string>* problems) {
  const std::string prefix = "source '" + source.name + "': ";
  const SourceKind* kind = FindSourceKind(source.kind);
  if (kind == nullptr) {
    std::vector<std::string> known;
    for (const auto& entry : Table()) known.emplace_back(entry.kind);
    problems->push_back(YamlAt(source.location) + ": " + prefix + "kind '" + source.kind +
                        "' is not a known value; supported: " + Names(known));
    return;
  }
  std::vector<std::string> keys;
  for (const auto& key : kind->keys) keys.emplace_back(key.name);
  for (const auto& option : source.options) {
    if (std::find(keys.begin(), keys.end(), option.key) != keys.end()) continue;
    const std::string hint = core::ClosestName(option.key, keys);
    problems->push_back(YamlAt(option.location) + ": " + prefix + "unknown key '" + option.key +
                        "' for a source of kind " + source.kind +
                        (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                        " (its keys: " + (keys.empty() ? "none" : Names(keys)) + ")");
  }
  for (const auto& key : kind->keys) {
    if (!key.required || !SourceOption(source, key.name).empty()) continue;
    problems->push_back(YamlAt(source.location) + ": " + prefix + "a source of kind " +
                        source.kind + " needs '" + std::string(key.name) + "'");
  }
  if (kind->check != nullptr) kind->check(source, problems);
}

std::string YamlAt(const definitions::Location& location) {
  const std::string at = location.ToString();
  return at.empty() ? "featherstone.yaml" : at;
}

std::string OptionLocation(const definitions::Source& source, std::string_view key) {
  for (const auto& option : source.options) {
    if (option.key == key) return YamlAt(option.location);
  }
  return YamlAt(source.location);
}

std::string SourceOption(const definitions::Source& source, std::string_view key,
                         std::string_view fallback) {
  for (const auto& option : source.options) {
    if (option.key == key) return option.value;
  }
  return std::string(fallback);
}

}  // namespace fst::connectors
