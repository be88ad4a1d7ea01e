#include "featherstone/offline/part_file.h"

#include <algorithm>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/api_vector.h>
#include <arrow/datum.h>
#include <arrow/scalar.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/buffered.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/util/parallel.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/core/column_sample.h"
#include "featherstone/core/file_system.h"
#include "part_order.h"

namespace fst::offline {
namespace {

// Whether `column` is string or binary with values of 1 KiB or more on average.
bool LongValues(const arrow::ChunkedArray& column) {
  const auto id = column.type()->id();
  if (id != arrow::Type::STRING && id != arrow::Type::BINARY) return false;
  int64_t bytes = 0;
  for (const auto& chunk : column.chunks()) {
    bytes += static_cast<const arrow::BinaryArray&>(*chunk).total_values_length();
  }
  const int64_t values = column.length() - column.null_count();
  return values > 0 && bytes / values >= 1024;
}

// Whether sort indices are 0, 1, 2, ...
bool InOrder(const arrow::UInt64Array& indices) {
  for (int64_t i = 0; i < indices.length(); ++i) {
    if (indices.Value(i) != static_cast<uint64_t>(i)) return false;
  }
  return true;
}

constexpr int64_t kWriteBuffer = 1 << 20;

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

Status WithPath(const Status& status, const std::string& path) {
  if (status.ok()) return status;
  return status.WithMessage(path, ": ", status.message());
}

Result<std::unique_ptr<parquet::arrow::FileReader>> OpenReader(arrow::fs::FileSystem& fs,
                                                               const std::string& path) {
  auto input = fs.OpenInputFile(path);
  if (!input.ok()) return WithPath(input.status(), path);
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(true);
  properties.set_use_threads(true);  // columns decoded in parallel on Arrow's CPU pool
  parquet::arrow::FileReaderBuilder builder;
  auto st = builder.Open(*input);
  if (!st.ok()) return WithPath(st, path);
  builder.properties(properties);
  std::unique_ptr<parquet::arrow::FileReader> reader;
  st = builder.Build(&reader);
  if (!st.ok()) return WithPath(st, path);
  return reader;
}

// Writes `table` as Parquet to `path` on `fs`; a file left by an error is removed.
Status WriteParquet(arrow::fs::FileSystem& fs, const arrow::Table& table, const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    FST_RETURN_NOT_OK(fs.CreateDir(path.substr(0, slash), /*recursive=*/true));
  }
  FST_ASSIGN_OR_RAISE(auto file, fs.OpenOutputStream(path));
  // Parquet writes each page header and page separately; one write per MiB instead.
  auto output = arrow::io::BufferedOutputStream::Create(kWriteBuffer, arrow::default_memory_pool(),
                                                        file);
  if (!output.ok()) {
    (void)file->Abort();
    (void)fs.DeleteFile(path);
    return output.status();
  }
  parquet::WriterProperties::Builder builder;
  builder.compression(parquet::Compression::SNAPPY)->max_row_group_length(128 * 1024);
  for (int i = 0; i < table.num_columns(); ++i) {
    const auto& field = table.schema()->field(i);
    // Measured floats rarely repeat, nor do long texts and blobs (documents, files), ids and
    // times: a dictionary would be built (a copy of every value) and then abandoned.
    const bool long_values = LongValues(*table.column(i));
    if (arrow::is_floating(field->type()->id()) || long_values ||
        core::MostlyDistinct(*table.column(i))) {
      builder.disable_dictionary(field->name());
    }
    // Min/max of long values are copies of two of them (6x a 100 MiB value at peak,
    // measured) and no reader filters on them.
    if (long_values) builder.disable_statistics(field->name());
  }
  auto writer_properties = builder.build();
  // The columns of a row group are encoded in parallel on Arrow's CPU pool.
  auto arrow_properties =
      parquet::ArrowWriterProperties::Builder().store_schema()->set_use_threads(true)->build();
  Status st;
  try {
    st = parquet::arrow::WriteTable(table, arrow::default_memory_pool(), *output, 128 * 1024,
                                    writer_properties, arrow_properties);
  } catch (const std::exception& e) {
    st = Status::IOError(e.what());
  }
  if (st.ok()) st = (*output)->Close();
  if (!st.ok()) {
    (void)(*output)->Abort();
    (void)fs.DeleteFile(path);
  }
  return st;
}

// `table`'s rows in `ordering`, the columns not already sorted gathered in parallel on Arrow's
// CPU pool.
Result<std::shared_ptr<arrow::Table>> Gather(const arrow::Table& table,
                                             const internal::Ordering& ordering) {
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns(
      static_cast<size_t>(table.num_columns()));
  FST_RETURN_NOT_OK(arrow::internal::ParallelFor(table.num_columns(), [&](int i) -> Status {
    const auto c = static_cast<size_t>(i);
    if (ordering.sorted[c] != nullptr) {
      columns[c] = std::make_shared<arrow::ChunkedArray>(ordering.sorted[c]);
      return Status::OK();
    }
    FST_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(table.column(i), ordering.indices));
    columns[c] = taken.chunked_array();
    return Status::OK();
  }));
  return arrow::Table::Make(table.schema(), std::move(columns), ordering.indices->length());
}

}  // namespace

Result<WrittenPart> WriteSortedPart(arrow::fs::FileSystem& fs,
                                    const std::shared_ptr<arrow::Table>& table,
                                    const PartLayout& layout, const std::string& path) {
  namespace cp = arrow::compute;
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  FST_ASSIGN_OR_RAISE(auto ordering, internal::PartOrder(*table, layout));
  // Input already in order (one row, or rows that arrive sorted) is written as it is: no copy.
  std::shared_ptr<arrow::Table> sorted = table;
  if (!InOrder(*ordering.indices)) {
    FST_ASSIGN_OR_RAISE(sorted, Gather(*table, ordering));
  }

  WrittenPart part;
  part.path = path;
  part.rows = sorted->num_rows();
  if (part.rows > 0) {
    FST_ASSIGN_OR_RAISE(auto minmax, cp::MinMax(sorted->GetColumnByName(layout.ts_column)));
    const auto& st = minmax.scalar_as<arrow::StructScalar>();
    part.min_ts = std::static_pointer_cast<arrow::TimestampScalar>(st.value[0])->value;
    part.max_ts = std::static_pointer_cast<arrow::TimestampScalar>(st.value[1])->value;
  }
  auto metadata = std::make_shared<arrow::KeyValueMetadata>();
  metadata->Append(kSortKeysMetadata, JoinComma(layout.sort_keys));
  sorted = sorted->ReplaceSchemaMetadata(metadata);

  FST_RETURN_NOT_OK(WithPath(WriteParquet(fs, *sorted, path), path));
  return part;
}

Result<std::shared_ptr<arrow::Table>> ReadPartColumns(
    const std::string& path, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  return ReadPartColumns(*core::LocalFs(), path, columns, types);
}

Result<std::shared_ptr<arrow::Table>> ReadPartColumns(
    arrow::fs::FileSystem& fs, const std::string& path, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  FST_ASSIGN_OR_RAISE(auto reader, OpenReader(fs, path));
  std::shared_ptr<arrow::Schema> schema;
  FST_RETURN_NOT_OK(WithPath(reader->GetSchema(&schema), path));
  std::vector<int> indices;
  for (const auto& name : columns) {
    const int index = schema->GetFieldIndex(name);
    if (index >= 0) indices.push_back(index);
  }
  auto read_result = reader->ReadTable(indices);
  if (!read_result.ok()) return WithPath(read_result.status(), path);
  FST_ASSIGN_OR_RAISE(auto selected, SelectPartColumns(**read_result, columns, types));
  return selected->ReplaceSchemaMetadata(schema->metadata());
}

Result<std::shared_ptr<arrow::Table>> SelectPartColumns(
    const arrow::Table& rows, const std::vector<std::string>& columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  const int64_t n = rows.num_rows();
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> arrays;
  for (size_t c = 0; c < columns.size(); ++c) {
    auto column = rows.GetColumnByName(columns[c]);
    if (column == nullptr) {
      FST_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(types[c], n));
      column = std::make_shared<arrow::ChunkedArray>(nulls);
    }
    fields.push_back(arrow::field(columns[c], column->type()));
    arrays.push_back(column);
  }
  return arrow::Table::Make(arrow::schema(fields, rows.schema()->metadata()), arrays, n);
}

std::vector<std::string> PartSortKeys(const arrow::Table& part) {
  std::vector<std::string> keys;
  const auto& metadata = part.schema()->metadata();
  if (metadata == nullptr) return keys;
  auto value = metadata->Get(kSortKeysMetadata);
  if (!value.ok() || value->empty()) return keys;
  size_t start = 0;
  while (start <= value->size()) {
    const size_t comma = value->find(',', start);
    keys.push_back(value->substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return keys;
}

}  // namespace fst::offline
