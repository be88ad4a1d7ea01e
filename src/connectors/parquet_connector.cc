// Parquet through parquet::arrow::FileReader, reading only the leaf columns the schema needs,
// batch by batch, one row group at a time: the reader pre-buffers the column chunks of the
// row groups it is given and keeps them until it is replaced, so a reader over every row
// group would hold the whole file's bytes by the end. A dotted path reaches into struct
// columns.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/array/array_nested.h>
#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>

#include "coerce.h"
#include "connector_internal.h"

namespace fst::connectors::internal {
namespace {

void CollectLeaves(const parquet::arrow::SchemaField& field, std::set<int>* leaves) {
  if (field.is_leaf()) leaves->insert(field.column_index);
  for (const auto& child : field.children) CollectLeaves(child, leaves);
}

class ParquetConnector : public Connector {
 public:
  ParquetConnector(std::string path, core::Schema schema, const ReadOptions& options)
      : path_(std::move(path)), schema_(std::move(schema)), slicer_(options.batch_rows) {}

  Status Open(const ReadOptions& options);
  Result<Batch> Next() override;

 private:
  Status WithPath(const Status& status) const {
    if (status.ok() || status.message().find(path_) != std::string::npos) return status;
    return status.WithMessage(path_, ": ", status.message());
  }
  Result<std::shared_ptr<arrow::RecordBatch>> Convert(const arrow::RecordBatch& raw);
  // reader_ over the next row group (its column chunks pre-buffered, the previous ones
  // released), or done_ after the last.
  Status OpenNextRowGroup();

  std::string path_;
  core::Schema schema_;
  BatchSlicer slicer_;
  std::unique_ptr<parquet::arrow::FileReader> file_reader_;
  std::unique_ptr<arrow::RecordBatchReader> reader_;
  std::vector<int> leaves_;  // the leaf columns read
  int next_row_group_ = 0;
  // Per declared column: its top-level column, then struct fields inside it.
  std::vector<std::vector<std::string>> paths_;
  std::vector<std::string> extras_;
  std::shared_ptr<arrow::Schema> output_schema_;
  bool done_ = false;
  Status error_;
};

Status ParquetConnector::Open(const ReadOptions& options) {
  FST_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path_));
  parquet::ArrowReaderProperties properties;
  properties.set_batch_size(std::max<int64_t>(options.batch_rows, 1));
  properties.set_pre_buffer(true);
  parquet::arrow::FileReaderBuilder builder;
  try {
    FST_RETURN_NOT_OK(WithPath(builder.Open(file)));
  } catch (const parquet::ParquetException& e) {
    return Status::Invalid(path_, ": not a readable Parquet file: ", e.what());
  }
  auto reader = builder.properties(properties)->Build();
  if (!reader.ok()) return WithPath(reader.status());
  file_reader_ = *std::move(reader);

  const auto& top_fields = file_reader_->manifest().schema_fields;
  std::vector<std::string> top_names;
  for (const auto& field : top_fields) top_names.push_back(field.field->name());

  std::set<int> leaves;
  std::set<std::string> used_top;
  for (const auto& spec : schema_) {
    const std::string& name = SourceName(spec);
    std::vector<std::string> names = {name};
    auto top = std::find(top_names.begin(), top_names.end(), name);
    if (top == top_names.end()) {
      names = SplitPath(name);
      top = std::find(top_names.begin(), top_names.end(), names.front());
    }
    if (top == top_names.end()) return MissingColumn(path_, spec, top_names);
    const parquet::arrow::SchemaField* field = &top_fields[top - top_names.begin()];
    for (size_t i = 1; i < names.size() && field != nullptr; ++i) {
      const parquet::arrow::SchemaField* child = nullptr;
      if (field->field->type()->id() == arrow::Type::LIST ||
          field->field->type()->id() == arrow::Type::LARGE_LIST) {
        return Status::Invalid(path_, ": column '", spec.name, "' (path ", name, "): '",
                               names[i - 1], "' is a list; array elements by index are read "
                               "from JSON input only, Parquet paths reach struct fields");
      }
      if (field->field->type()->id() == arrow::Type::STRUCT) {
        for (const auto& candidate : field->children) {
          if (candidate.field->name() == names[i]) child = &candidate;
        }
      }
      field = child;
    }
    if (field == nullptr) return MissingColumn(path_, spec, top_names);
    CollectLeaves(*field, &leaves);
    used_top.insert(names.front());
    paths_.push_back(std::move(names));
  }

  arrow::FieldVector fields = DeclaredFields(schema_);
  if (options.keep_extra_columns) {
    for (const auto& field : top_fields) {
      if (used_top.count(field.field->name()) > 0) continue;
      CollectLeaves(field, &leaves);
      extras_.push_back(field.field->name());
      fields.push_back(field.field);
    }
  }
  output_schema_ = arrow::schema(std::move(fields));

  leaves_.assign(leaves.begin(), leaves.end());
  return OpenNextRowGroup();
}

Status ParquetConnector::OpenNextRowGroup() {
  reader_.reset();
  if (next_row_group_ >= file_reader_->num_row_groups()) {
    done_ = true;
    return Status::OK();
  }
  auto batches = file_reader_->GetRecordBatchReader({next_row_group_++}, leaves_);
  if (!batches.ok()) return WithPath(batches.status());
  reader_ = *std::move(batches);
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> ParquetConnector::Convert(
    const arrow::RecordBatch& raw) {
  arrow::ArrayVector columns;
  for (size_t i = 0; i < schema_.size(); ++i) {
    FST_ASSIGN_OR_RAISE(auto found, FindPath(raw, paths_[i]));
    if (found == nullptr) {
      return Status::Invalid(path_, ": cannot read column '", schema_[i].name, "'");
    }
    FST_ASSIGN_OR_RAISE(auto column, CoerceColumn(*found, schema_[i], path_, slicer_.rows()));
    columns.push_back(std::move(column));
  }
  for (const auto& name : extras_) columns.push_back(raw.GetColumnByName(name));
  return arrow::RecordBatch::Make(output_schema_, raw.num_rows(), std::move(columns));
}

Result<Batch> ParquetConnector::Next() {
  if (!error_.ok()) return error_;
  while (slicer_.empty() && !done_) {
    std::shared_ptr<arrow::RecordBatch> raw;
    Status status;
    try {
      status = reader_->ReadNext(&raw);
    } catch (const parquet::ParquetException& e) {
      status = Status::IOError(e.what());
    }
    if (!status.ok()) {
      error_ = WithPath(status);
      return error_;
    }
    if (raw == nullptr) {
      status = OpenNextRowGroup();
      if (!status.ok()) {
        error_ = status;
        return error_;
      }
      continue;
    }
    auto converted = Convert(*raw);
    if (!converted.ok()) {
      error_ = converted.status();
      return error_;
    }
    slicer_.Push(*std::move(converted));
  }
  if (slicer_.empty()) return Batch{nullptr, slicer_.rows()};
  return slicer_.Pop();
}

}  // namespace

Result<std::unique_ptr<Connector>> OpenParquet(const std::string& path, const core::Schema& schema,
                                               const ReadOptions& options) {
  auto connector = std::make_unique<ParquetConnector>(path, schema, options);
  FST_RETURN_NOT_OK(connector->Open(options));
  return connector;
}

}  // namespace fst::connectors::internal
