// Checks shared by the YAML readers (featherstone.yaml, contracts, tokens.yaml): how a node is
// named in messages, and the keys of a map (scalar, unique, allowed).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace fst::definitions {

// "a map", "a list", "'TEXT'" for a scalar, or "nothing".
std::string DescribeYaml(const YAML::Node& node);

struct YamlKeyProblem {
  YAML::Mark mark;  // of the offending key
  std::string message;
};

// The first key of the map `node` that is not a scalar ("keys must be strings in WHAT, got
// ..."), repeats an earlier one ("duplicate key 'K' in WHAT") or is not in `allowed` ("unknown
// key 'K' in WHAT" followed by `unknown_suffix(K)`, e.g. a did-you-mean); none when every key
// is fine. The caller adds the file and position of `mark`.
std::optional<YamlKeyProblem> FindYamlKeyProblem(
    const YAML::Node& node, std::span<const std::string_view> allowed, const std::string& what,
    const std::function<std::string(const std::string& key)>& unknown_suffix);

}  // namespace fst::definitions
