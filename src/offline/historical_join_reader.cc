#include "featherstone/offline/historical_join_reader.h"

#include <algorithm>
#include <cstring>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/util/bitmap_ops.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include "featherstone/core/file_system.h"
#include "featherstone/offline/historical_join.h"
#include "featherstone/offline/part_file.h"

namespace fst::offline {
namespace {

Status WithPath(const Status& status, const std::string& path) {
  if (status.ok()) return status;
  return status.WithMessage(path, ": ", status.message());
}

bool SixtyFourBitFixed(const arrow::DataType& type) {
  return type.id() == arrow::Type::INT64 || type.id() == arrow::Type::TIMESTAMP;
}

// One column's rows gathered from its row group arrays: 64-bit fixed-width columns copied into
// reused buffers as each row group arrives, other columns concatenated at the end.
class ColumnAssembler {
 public:
  ColumnAssembler(int64_t length, std::shared_ptr<arrow::ResizableBuffer>* values,
                  std::shared_ptr<arrow::ResizableBuffer>* validity)
      : length_(length), values_(values), validity_(validity) {}

  Status Add(std::shared_ptr<arrow::Array> chunk) {
    if (type_ == nullptr) {
      type_ = chunk->type();
      fixed_ = SixtyFourBitFixed(*type_);
      if (fixed_) {
        if (*values_ == nullptr) {
          FST_ASSIGN_OR_RAISE(*values_, arrow::AllocateResizableBuffer(0));
        }
        FST_RETURN_NOT_OK((*values_)->Resize(length_ * 8, /*shrink_to_fit=*/false));
      }
    }
    if (!chunk->type()->Equals(*type_)) {
      return Status::Invalid("row groups of column types ", type_->ToString(), " and ",
                             chunk->type()->ToString());
    }
    if (!fixed_) {
      chunks_.push_back(std::move(chunk));
      return Status::OK();
    }
    const int64_t n = chunk->length();
    if (n == 0) return Status::OK();
    if (offset_ + n > length_) return Status::Invalid("row groups longer than the part");
    std::memcpy((*values_)->mutable_data() + offset_ * 8,
                chunk->data()->GetValues<uint8_t>(1, chunk->offset() * 8), n * 8);
    if (chunk->null_count() > 0 && nulls_ == 0) {
      if (*validity_ == nullptr) {
        FST_ASSIGN_OR_RAISE(*validity_, arrow::AllocateResizableBuffer(0));
      }
      FST_RETURN_NOT_OK((*validity_)->Resize(arrow::bit_util::BytesForBits(length_), false));
      arrow::bit_util::SetBitsTo((*validity_)->mutable_data(), 0, offset_, true);
    }
    if (nulls_ > 0 || chunk->null_count() > 0) {
      if (chunk->null_count() == 0) {
        arrow::bit_util::SetBitsTo((*validity_)->mutable_data(), offset_, n, true);
      } else {
        arrow::internal::CopyBitmap(chunk->null_bitmap_data(), chunk->offset(), n,
                                    (*validity_)->mutable_data(), offset_);
      }
    }
    nulls_ += chunk->null_count();
    offset_ += n;
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Finish() {
    if (fixed_) {
      if (offset_ != length_) return Status::Invalid("row groups shorter than the part");
      std::shared_ptr<arrow::Buffer> bitmap;
      if (nulls_ > 0) bitmap = *validity_;
      return arrow::MakeArray(arrow::ArrayData::Make(type_, length_, {bitmap, *values_}, nulls_));
    }
    return arrow::Concatenate(chunks_);
  }

 private:
  int64_t length_;
  std::shared_ptr<arrow::ResizableBuffer>* values_;
  std::shared_ptr<arrow::ResizableBuffer>* validity_;
  std::shared_ptr<arrow::DataType> type_;
  bool fixed_ = false;
  int64_t offset_ = 0;
  int64_t nulls_ = 0;
  std::vector<std::shared_ptr<arrow::Array>> chunks_;
};

}  // namespace

PartRowGroups::~PartRowGroups() = default;

Result<std::unique_ptr<PartRowGroups>> PartRowGroups::Open(
    const PartRef& part, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  std::unique_ptr<PartRowGroups> out(new PartRowGroups());
  out->path_ = part.path;
  out->columns_ = columns;
  out->types_ = types;
  out->starts_ = {0};
  if (part.rows != nullptr) {
    out->rows_ = part.rows;
    out->starts_.push_back(part.rows->num_rows());
    return out;
  }
  auto input = core::LocalFs()->OpenInputFile(part.path);
  if (!input.ok()) return WithPath(input.status(), part.path);
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(true);
  properties.set_use_threads(true);  // a row group's columns decoded on Arrow's CPU pool
  std::unique_ptr<parquet::ParquetFileReader> file;
  try {
    file = parquet::ParquetFileReader::Open(*input);
  } catch (const std::exception& e) {
    return Status::IOError(part.path, ": ", e.what());
  }
  const auto metadata = file->metadata();
  for (int rg = 0; rg < metadata->num_row_groups(); ++rg) {
    out->starts_.push_back(out->starts_.back() + metadata->RowGroup(rg)->num_rows());
  }
  auto reader =
      parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(file), properties);
  if (!reader.ok()) return WithPath(reader.status(), part.path);
  out->reader_ = std::move(*reader);
  std::shared_ptr<arrow::Schema> schema;
  FST_RETURN_NOT_OK(WithPath(out->reader_->GetSchema(&schema), part.path));
  for (const auto& name : columns) out->file_columns_.push_back(schema->GetFieldIndex(name));
  FST_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
  out->sort_keys_ = PartSortKeys(*empty);
  out->file_schema_ = schema;
  return out;
}

int PartRowGroups::RowGroupOf(int64_t row) const {
  return static_cast<int>(std::upper_bound(starts_.begin(), starts_.end(), row) - starts_.begin()) - 1;
}

Result<PartRowGroups::Bounds> PartRowGroups::ColumnBounds(const std::string& column) const {
  Bounds bounds;
  if (reader_ == nullptr) return bounds;
  const auto metadata = reader_->parquet_reader()->metadata();
  const int index = metadata->schema()->ColumnIndex(column);
  if (index < 0) return bounds;
  arrow::ScalarVector mins, maxes;
  std::shared_ptr<arrow::DataType> type;
  for (int rg = 0; rg < num_row_groups(); ++rg) {
    const auto stats = metadata->RowGroup(rg)->ColumnChunk(index)->statistics();
    std::shared_ptr<arrow::Scalar> min, max;
    if (stats != nullptr && stats->HasMinMax() &&
        parquet::arrow::StatisticsAsScalars(*stats, &min, &max).ok() &&
        (type == nullptr || (min->type->Equals(type) && max->type->Equals(type)))) {
      type = min->type;
    } else {
      min = max = nullptr;
    }
    mins.push_back(std::move(min));
    maxes.push_back(std::move(max));
  }
  if (type == nullptr) return bounds;
  auto build = [&](const arrow::ScalarVector& values) -> Result<std::shared_ptr<arrow::Array>> {
    FST_ASSIGN_OR_RAISE(auto builder, arrow::MakeBuilder(type));
    for (const auto& value : values) {
      FST_RETURN_NOT_OK(value == nullptr ? builder->AppendNull() : builder->AppendScalar(*value));
    }
    return builder->Finish();
  };
  FST_ASSIGN_OR_RAISE(bounds.min, build(mins));
  FST_ASSIGN_OR_RAISE(bounds.max, build(maxes));
  return bounds;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> PartRowGroups::Read(int rg) {
  const int64_t length = row_group_start(rg + 1) - row_group_start(rg);
  std::shared_ptr<arrow::Table> table;
  if (rows_ != nullptr) {
    FST_ASSIGN_OR_RAISE(table, SelectPartColumns(*rows_, columns_, types_));
  } else {
    std::vector<int> indices;  // each file column once: a column may be asked for twice
    for (int index : file_columns_) {
      if (index >= 0 && std::find(indices.begin(), indices.end(), index) == indices.end()) {
        indices.push_back(index);
      }
    }
    auto read = reader_->ReadRowGroup(rg, indices);
    if (!read.ok()) return WithPath(read.status(), path_);
    table = std::move(*read);
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (rows_ == nullptr && file_columns_[c] < 0) {
      FST_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(types_[c], length));
      arrays.push_back(nulls);
      continue;
    }
    const auto column = rows_ != nullptr ? table->column(static_cast<int>(c))
                                         : table->GetColumnByName(columns_[c]);
    if (column->num_chunks() == 1) {
      arrays.push_back(column->chunk(0));
    } else if (column->num_chunks() == 0) {
      FST_ASSIGN_OR_RAISE(auto empty, arrow::MakeEmptyArray(column->type()));
      arrays.push_back(empty);
    } else {
      FST_ASSIGN_OR_RAISE(auto whole, arrow::Concatenate(column->chunks()));
      arrays.push_back(whole);
    }
  }
  return arrays;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> ReadWholeColumns(PartRowGroups& part,
                                                                    ColumnScratch* scratch) {
  const int ngroups = part.num_row_groups();
  if (ngroups == 1) return part.Read(0);  // decoded once, nothing to copy
  if (ngroups == 0) {
    std::vector<std::shared_ptr<arrow::Array>> empty;
    for (const auto& type : part.types()) {
      FST_ASSIGN_OR_RAISE(auto array, arrow::MakeEmptyArray(type));
      empty.push_back(array);
    }
    return empty;
  }
  std::vector<ColumnAssembler> columns;
  for (int rg = 0; rg < ngroups; ++rg) {
    FST_ASSIGN_OR_RAISE(auto arrays, part.Read(rg));
    if (columns.empty()) {
      scratch->values.resize(arrays.size());
      scratch->validity.resize(arrays.size());
      for (size_t c = 0; c < arrays.size(); ++c) {
        columns.emplace_back(part.num_rows(), &scratch->values[c], &scratch->validity[c]);
      }
    }
    for (size_t c = 0; c < arrays.size(); ++c) {
      FST_RETURN_NOT_OK(WithPath(columns[c].Add(std::move(arrays[c])), part.path()));
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (auto& column : columns) {
    auto array = column.Finish();
    if (!array.ok()) return WithPath(array.status(), part.path());
    out.push_back(*array);
  }
  return out;
}

}  // namespace fst::offline
