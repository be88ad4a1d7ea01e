#include "direct_parse.h"

#include <bit>
#include <string_view>

#include <arrow/type.h>

#include "coerce.h"
#include "featherstone/core/time.h"

namespace fst::connectors::internal {
namespace {

using arrow::TimeUnit;
using core::ValueType;

// The unit that stands for each directly parsed type.
constexpr TimeUnit::type kTimestampUnit = TimeUnit::MICRO;
constexpr TimeUnit::type kInt64Unit = TimeUnit::NANO;
constexpr TimeUnit::type kFloat64Unit = TimeUnit::MILLI;

class Parser : public arrow::TimestampParser {
 public:
  bool operator()(const char* s, size_t length, TimeUnit::type unit, int64_t* out,
                  bool* zone_offset_present) const override {
    // The column is naive to Arrow: it must not expect a zone it would check.
    if (zone_offset_present != nullptr) *zone_offset_present = false;
    // As CoerceColumn's text path: trimmed, empty is null (refused here), then parsed.
    const std::string_view text = TrimBlanks(std::string_view(s, length));
    if (text.empty()) return false;
    switch (unit) {
      case kTimestampUnit: {
        Result<int64_t> micros = core::ParseTimestamp(text);
        if (!micros.ok()) return false;
        *out = *micros;
        return true;
      }
      case kInt64Unit:
        return ParseInt64Text(text, out);
      case kFloat64Unit: {
        double value;
        if (!ParseDoubleText(text, &value)) return false;
        *out = std::bit_cast<int64_t>(value);
        return true;
      }
      default:
        return false;
    }
  }
  const char* kind() const override { return "featherstone"; }
};

}  // namespace

std::shared_ptr<arrow::DataType> DirectReadType(ValueType type) {
  switch (type) {
    case ValueType::kTimestamp:
      return arrow::timestamp(kTimestampUnit);
    case ValueType::kInt64:
      return arrow::timestamp(kInt64Unit);
    case ValueType::kFloat64:
      return arrow::timestamp(kFloat64Unit);
    default:
      return nullptr;
  }
}

std::shared_ptr<arrow::TimestampParser> DirectParser() {
  static const auto parser = std::make_shared<Parser>();
  return parser;
}

std::shared_ptr<arrow::Array> RelabelDirect(const arrow::Array& array, ValueType type) {
  auto data = array.data()->Copy();
  data->type = core::ToArrowType(type);
  return arrow::MakeArray(std::move(data));
}

}  // namespace fst::connectors::internal
