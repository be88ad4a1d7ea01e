#include "featherstone/connectors/connector.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <arrow/array/array_nested.h>
#include <arrow/compute/initialize.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/type.h>

#include "coerce.h"
#include "connector_internal.h"

namespace fst::connectors {
namespace internal {

Status EnsureCompute() {
  static const Status status = arrow::compute::Initialize();
  return status;
}

const std::string& SourceName(const core::ColumnSpec& spec) {
  return spec.path.empty() ? spec.name : spec.path;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(path.substr(start));
  return parts;
}

Status MissingColumn(const std::string& file, const core::ColumnSpec& spec,
                     const std::vector<std::string>& available, const char* has) {
  std::string names;
  for (const auto& name : available) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return Status::Invalid(file, ": missing column '", SourceName(spec),
                         "'; ", has, ": ", names.empty() ? "no columns" : names);
}

Result<std::shared_ptr<arrow::Array>> FindPath(const arrow::RecordBatch& batch,
                                               const std::vector<std::string>& path) {
  std::shared_ptr<arrow::Array> array = batch.GetColumnByName(path.front());
  for (size_t i = 1; i < path.size() && array != nullptr; ++i) {
    if (array->type_id() != arrow::Type::STRUCT) return nullptr;
    const auto& parent = static_cast<const arrow::StructArray&>(*array);
    const int index = parent.struct_type()->GetFieldIndex(path[i]);
    if (index < 0) return nullptr;
    FST_ASSIGN_OR_RAISE(array, parent.GetFlattenedField(index));
  }
  return array;
}

arrow::FieldVector DeclaredFields(const core::Schema& schema) {
  arrow::FieldVector fields;
  fields.reserve(schema.size());
  for (const auto& spec : schema) {
    fields.push_back(arrow::field(spec.name, core::ToArrowType(spec.type), spec.nullable));
  }
  return fields;
}

void BatchSlicer::Push(std::shared_ptr<arrow::RecordBatch> batch) {
  const int64_t n = batch->num_rows();
  rows_ += n;
  if (n <= max_rows_) {
    if (n > 0) pending_.push_back(std::move(batch));
    return;
  }
  for (int64_t offset = 0; offset < n; offset += max_rows_) {
    pending_.push_back(batch->Slice(offset, std::min(max_rows_, n - offset)));
  }
}

Batch BatchSlicer::Pop() {
  Batch out{std::move(pending_.front()), popped_rows_};
  pending_.pop_front();
  popped_rows_ += out.batch->num_rows();
  return out;
}

}  // namespace internal

namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

Result<std::string> FormatOf(const std::string& path, const std::string& format) {
  if (!format.empty()) {
    const std::string lower = Lower(format);
    if (lower == "csv" || lower == "parquet" || lower == "jsonl") return lower;
    return Status::Invalid(path, ": unknown format '", format, "'; expected csv, parquet or jsonl");
  }
  const std::string extension = Lower(std::filesystem::path(path).extension().string());
  if (extension == ".csv") return std::string("csv");
  if (extension == ".parquet" || extension == ".pq") return std::string("parquet");
  if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    return std::string("jsonl");
  }
  return Status::Invalid(path, ": cannot tell the format from the extension '", extension,
                         "'; expected .csv, .parquet, .pq, .jsonl, .ndjson or .json, or name "
                         "the format (csv, parquet, jsonl)");
}

}  // namespace

Result<std::unique_ptr<Connector>> OpenFile(const std::string& path, const std::string& format,
                                            const core::Schema& schema,
                                            const ReadOptions& options) {
  FST_ASSIGN_OR_RAISE(const std::string kind, FormatOf(path, format));
  if (kind == "csv") return internal::OpenCsv(path, schema, options);
  if (kind == "parquet") return internal::OpenParquet(path, schema, options);
  return internal::OpenJsonl(path, schema, options);
}

Result<std::shared_ptr<arrow::Array>> CoerceArray(const arrow::Array& input,
                                                  const core::ColumnSpec& spec,
                                                  const std::string& what) {
  FST_RETURN_NOT_OK(internal::EnsureCompute());
  return internal::CoerceColumn(input, spec, what, 0);
}

Result<std::shared_ptr<arrow::Table>> ReadAll(Connector& connector, const core::Schema& schema) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    FST_ASSIGN_OR_RAISE(Batch batch, connector.Next());
    if (batch.batch == nullptr) break;
    batches.push_back(std::move(batch.batch));
  }
  if (batches.empty()) {
    return arrow::Table::MakeEmpty(arrow::schema(internal::DeclaredFields(schema)));
  }
  return arrow::Table::FromRecordBatches(batches.front()->schema(), batches);
}

}  // namespace fst::connectors
