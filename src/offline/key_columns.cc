#include "featherstone/offline/key_columns.h"

#include <arrow/compute/cast.h>
#include <arrow/type.h>

namespace fst::offline {

std::string_view KeyColumns::Column::View(int64_t i) const {
  if (strings != nullptr) return strings->GetView(i);
  return large_strings->GetView(i);
}

Result<KeyColumns> KeyColumns::Make(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                                    const std::vector<std::string>& names) {
  KeyColumns out;
  for (size_t c = 0; c < columns.size(); ++c) {
    const auto& array = columns[c];
    Column column;
    column.name = c < names.size() ? names[c] : "key" + std::to_string(c);
    if (c == 0) {
      out.length_ = array->length();
    } else if (array->length() != out.length_) {
      return Status::Invalid("key column '", column.name, "' has ", array->length(),
                             " rows, expected ", out.length_);
    }
    const auto id = array->type_id();
    if (arrow::is_integer(id)) {
      std::shared_ptr<arrow::Array> widened = array;
      if (id != arrow::Type::INT64) {
        FST_ASSIGN_OR_RAISE(widened, arrow::compute::Cast(*array, arrow::int64()));
      }
      column.array = widened;
      column.ints = std::static_pointer_cast<arrow::Int64Array>(widened)->raw_values();
    } else if (id == arrow::Type::STRING || id == arrow::Type::BINARY) {
      column.array = array;
      column.strings = static_cast<const arrow::BinaryArray*>(array.get());
    } else if (id == arrow::Type::LARGE_STRING || id == arrow::Type::LARGE_BINARY) {
      column.array = array;
      column.large_strings = static_cast<const arrow::LargeBinaryArray*>(array.get());
    } else {
      return Status::Invalid("join key '", column.name, "' has type ", array->type()->ToString(),
                             "; join keys must be integers or strings");
    }
    out.arrays_.push_back(column.array);
    out.columns_.push_back(std::move(column));
  }
  if (out.columns_.size() == 1) out.single_int64_ = out.columns_[0].ints;
  return out;
}

bool KeyColumns::IsNull(int64_t i) const {
  for (const auto& column : columns_) {
    if (column.array->IsNull(i)) return true;
  }
  return false;
}

int KeyColumns::CompareColumns(int64_t i, const KeyColumns& other, int64_t j) const {
  for (size_t c = 0; c < columns_.size(); ++c) {
    const Column& a = columns_[c];
    const Column& b = other.columns_[c];
    if (a.ints != nullptr) {
      const int64_t x = a.ints[i];
      const int64_t y = b.ints[j];
      if (x != y) return x < y ? -1 : 1;
    } else {
      const int r = a.View(i).compare(b.View(j));
      if (r != 0) return r < 0 ? -1 : 1;
    }
  }
  return 0;
}

Status KeyColumns::CheckComparable(const KeyColumns& other) const {
  if (other.columns_.size() != columns_.size()) {
    return Status::Invalid("join keys differ in number: ", columns_.size(), " vs ",
                           other.columns_.size());
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const bool a_int = columns_[c].ints != nullptr;
    const bool b_int = other.columns_[c].ints != nullptr;
    if (a_int != b_int) {
      return Status::Invalid("join key '", columns_[c].name, "' is ",
                             columns_[c].array->type()->ToString(), " on one side and ",
                             other.columns_[c].array->type()->ToString(), " on the other");
    }
  }
  return Status::OK();
}

}  // namespace fst::offline
