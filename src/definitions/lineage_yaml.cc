#include "lineage_yaml.h"

#include <string_view>
#include <vector>

#include "featherstone/core/closest_name.h"
#include "featherstone/definitions/yaml_keys.h"

namespace fst::definitions::internal {
namespace {

constexpr std::string_view kLineageKeys[] = {"file", "http"};
constexpr char kExpected[] =
    "expected `none` or a map with `file: PATH` and/or `http: URL`, e.g. "
    "`lineage: {file: .featherstone/lineage.jsonl, http: http://localhost:5000}`";

Location Locate(const std::string& file, const YAML::Mark& mark) {
  return Location{file, mark.line + 1, mark.column + 1};
}

template <typename... Args>
Status Error(const std::string& file, const YAML::Mark& mark, Args&&... args) {
  return Status::Invalid(Locate(file, mark).ToString(), ": ", std::forward<Args>(args)...);
}

}  // namespace

Result<LineageSettings> ReadLineageYaml(const YAML::Node& node, const std::string& file) {
  LineageSettings settings;
  if (node.IsScalar()) {
    if (node.Scalar() == "none") {
      settings.file.clear();
      return settings;
    }
    return Error(file, node.Mark(), "'lineage' is ", DescribeYaml(node), "; ", kExpected);
  }
  if (!node.IsMap() || node.size() == 0) {
    return Error(file, node.Mark(), "'lineage' is ", DescribeYaml(node),
                 node.IsMap() ? " without sinks" : "", "; ", kExpected);
  }
  const std::vector<std::string> names(std::begin(kLineageKeys), std::end(kLineageKeys));
  auto problem = FindYamlKeyProblem(node, kLineageKeys, "'lineage'", [&](const std::string& key) {
    const std::string close = core::ClosestName(key, names);
    return (close.empty() ? "" : "; did you mean '" + close + "'?") +
           std::string(" (allowed: file, http)");
  });
  if (problem.has_value()) return Error(file, problem->mark, problem->message);
  settings.file.clear();
  for (const auto& entry : node) {
    const std::string& key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    if (!value.IsScalar() || value.Scalar().empty()) {
      return Error(file, value.IsNull() ? entry.first.Mark() : value.Mark(), "'lineage.", key,
                   "' must be a non-empty string (", key == "file" ? "a path" : "a URL",
                   "), got ", DescribeYaml(value));
    }
    if (key == "file") {
      settings.file = value.Scalar();
      settings.file_location = Locate(file, value.Mark());
    } else {
      settings.http = value.Scalar();
      settings.http_location = Locate(file, value.Mark());
    }
  }
  return settings;
}

}  // namespace fst::definitions::internal
