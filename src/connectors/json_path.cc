#include "json_path.h"

#include <charconv>

#include "connector_internal.h"

namespace fst::connectors::internal {

JsonPath ParseJsonPath(const std::string& path) {
  JsonPath steps;
  for (std::string& key : SplitPath(path)) {
    JsonPathStep step;
    int64_t index = 0;
    const char* end = key.data() + key.size();
    const auto [ptr, ec] = std::from_chars(key.data(), end, index);
    if (!key.empty() && key.front() != '-' && key.front() != '+' && ec == std::errc() &&
        ptr == end) {
      step.index = index;
    }
    step.key = std::move(key);
    steps.push_back(std::move(step));
  }
  return steps;
}

bool LookupJsonPath(JsonValue root, const JsonPath& path, JsonValue* out) {
  JsonValue current = root;
  for (const JsonPathStep& step : path) {
    if (current.kind() == JsonKind::kArray) {
      if (step.index < 0 || !current.Item(static_cast<size_t>(step.index), &current)) return false;
    } else if (!current.Find(step.key, &current)) {
      return false;
    }
  }
  *out = current;
  return true;
}

}  // namespace fst::connectors::internal
