#include "featherstone/definitions/yaml_keys.h"

#include <algorithm>
#include <vector>

namespace fst::definitions {

std::string DescribeYaml(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

std::optional<YamlKeyProblem> FindYamlKeyProblem(
    const YAML::Node& node, std::span<const std::string_view> allowed, const std::string& what,
    const std::function<std::string(const std::string& key)>& unknown_suffix) {
  std::vector<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key = entry.first;
    if (!key.IsScalar()) {
      return YamlKeyProblem{key.Mark(),
                            "keys must be strings in " + what + ", got " + DescribeYaml(key)};
    }
    const std::string& text = key.Scalar();
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) {
      return YamlKeyProblem{key.Mark(), "duplicate key '" + text + "' in " + what};
    }
    seen.push_back(text);
    if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) continue;
    return YamlKeyProblem{key.Mark(),
                          "unknown key '" + text + "' in " + what + unknown_suffix(text)};
  }
  return std::nullopt;
}

}  // namespace fst::definitions
