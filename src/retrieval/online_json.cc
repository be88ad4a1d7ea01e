#include "featherstone/retrieval/online_json.h"

namespace fst::retrieval {

nlohmann::ordered_json ToJson(const OnlineValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::vector<float>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          nlohmann::ordered_json items = nlohmann::ordered_json::array();
          for (const auto& item : v) items.push_back(item);
          return items;
        } else {
          return v;
        }
      },
      value);
}

nlohmann::ordered_json ToJson(const OnlineRows& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& row : rows.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t c = 0; c < rows.columns.size(); ++c) object[rows.columns[c]] = ToJson(row[c]);
    out.push_back(std::move(object));
  }
  return out;
}

}  // namespace fst::retrieval
