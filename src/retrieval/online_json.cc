#include "featherstone/retrieval/online_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "online_values.h"

namespace fst::retrieval {
namespace {

// The double whose shortest text is the float's shortest text ("0.1", not 0.10000000149...),
// so a vector reads as the offline outputs write it.
double FloatAsWritten(float value) {
  if (!std::isfinite(value)) return value;
  char buf[32];
  const auto written = std::to_chars(buf, buf + sizeof(buf), value);
  double out = value;
  std::from_chars(buf, written.ptr, out);
  return out;
}

}  // namespace

nlohmann::ordered_json ToJson(const OnlineValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          nlohmann::ordered_json items = nlohmann::ordered_json::array();
          for (float item : v) items.push_back(FloatAsWritten(item));
          return items;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          nlohmann::ordered_json items = nlohmann::ordered_json::array();
          for (const auto& item : v) items.push_back(item);
          return items;
        } else {
          return v;
        }
      },
      value);
}

void AppendJsonString(std::string_view text, std::string* out) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {  // printable ASCII without quotes or backslashes needs no escape
    *out += '"';
    *out += text;
    *out += '"';
  } else {
    *out += nlohmann::ordered_json(std::string(text))
                .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
}

void AppendJson(const OnlineValue& value, std::string* out) {
  if (std::holds_alternative<std::monostate>(value)) {
    *out += "null";
  } else if (const bool* b = std::get_if<bool>(&value)) {
    *out += *b ? "true" : "false";
  } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
    const fmt::format_int text(*i);
    out->append(text.data(), text.size());
  } else if (const std::string* text = std::get_if<std::string>(&value)) {
    AppendJsonString(*text, out);
  } else {
    *out += ToJson(value).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
}

nlohmann::ordered_json ToJson(const arrow::Array& array, int64_t i) {
  OnlineValue value = ArrayValue(array, i);
  switch (array.type_id()) {
    case arrow::Type::TIMESTAMP:
      return ToJson(FormatValue(core::ValueType::kTimestamp, std::move(value)));
    case arrow::Type::DATE32:
      return ToJson(FormatValue(core::ValueType::kDate, std::move(value)));
    default:
      return ToJson(value);
  }
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
