// Typed access to composite join keys held in Arrow arrays, for comparisons in joins.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <arrow/array.h>

#include "featherstone/core/status.h"

namespace fst::offline {

// A view over one side's key columns. Integer columns (int8..int64) are widened to int64;
// utf8/large_utf8/binary compare bytewise. Keeps the arrays alive. Immutable, thread-safe.
class KeyColumns {
 public:
  KeyColumns() = default;
  // Errors: Invalid when a column is neither integer nor string, or lengths differ.
  static Result<KeyColumns> Make(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                                 const std::vector<std::string>& names);

  int64_t length() const { return length_; }
  size_t width() const { return columns_.size(); }
  // The key arrays (integers widened to int64).
  const std::vector<std::shared_ptr<arrow::Array>>& arrays() const { return arrays_; }
  // True when any key column of row i is null.
  bool IsNull(int64_t i) const;
  // <0, 0, >0 comparing row i of this with row j of `other` (same width and kinds).
  int Compare(int64_t i, const KeyColumns& other, int64_t j) const {
    if (single_int64_ != nullptr && other.single_int64_ != nullptr) {
      const int64_t x = single_int64_[i];
      const int64_t y = other.single_int64_[j];
      return (x > y) - (x < y);
    }
    return CompareColumns(i, other, j);
  }
  bool Equal(int64_t i, const KeyColumns& other, int64_t j) const {
    return Compare(i, other, j) == 0;
  }
  // The values when the key is one integer column (the common case, compared inline), else
  // nullptr.
  const int64_t* single_int64() const { return single_int64_; }
  // Checks that `other` has the same width and the same kind (int/string) per column.
  // Errors: Invalid naming the column and both types.
  Status CheckComparable(const KeyColumns& other) const;

 private:
  struct Column {
    std::string name;
    std::shared_ptr<arrow::Array> array;  // int64 or binary-like
    const int64_t* ints = nullptr;
    const arrow::BinaryArray* strings = nullptr;
    const arrow::LargeBinaryArray* large_strings = nullptr;
    std::string_view View(int64_t i) const;
  };
  int CompareColumns(int64_t i, const KeyColumns& other, int64_t j) const;

  std::vector<Column> columns_;
  std::vector<std::shared_ptr<arrow::Array>> arrays_;
  int64_t length_ = 0;
  const int64_t* single_int64_ = nullptr;
};

}  // namespace fst::offline
