#include "featherstone/core/column_sample.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <arrow/array.h>
#include <arrow/type.h>

namespace fst::core {

constexpr int64_t kDistinctSample = 4096;  // rows in the sample, about

bool MostlyDistinct(const arrow::ChunkedArray& column) {
  const auto& type = *column.type();
  if (!arrow::is_integer(type.id()) && !arrow::is_temporal(type.id())) return false;
  const int bits = static_cast<const arrow::FixedWidthType&>(type).bit_width();
  if (bits % 8 != 0 || bits > 64) return false;
  const int64_t width = bits / 8;
  const int64_t step = std::max<int64_t>(1, column.length() / kDistinctSample);
  std::vector<uint64_t> sample;
  int64_t at = 0;  // the next row sampled, counted from the start of `chunk`
  for (const auto& chunk : column.chunks()) {
    const uint8_t* values = chunk->data()->GetValues<uint8_t>(1, 0);
    for (; at < chunk->length(); at += step) {
      if (chunk->IsNull(at)) continue;
      uint64_t value = 0;
      std::memcpy(&value, values + (chunk->offset() + at) * width, static_cast<size_t>(width));
      sample.push_back(value);
    }
    at -= chunk->length();
  }
  std::sort(sample.begin(), sample.end());
  const auto distinct = std::unique(sample.begin(), sample.end()) - sample.begin();
  return distinct * 2 > static_cast<int64_t>(sample.size());
}

}  // namespace fst::core
