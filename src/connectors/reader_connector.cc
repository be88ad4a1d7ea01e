// In-memory data (a Python table, an HTTP push body, a stream's micro-batch) through the same
// coercion and checks as the file connectors, batch by batch from an arrow::RecordBatchReader.
// A dotted path reaches into struct columns.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <arrow/array/array_nested.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "coerce.h"
#include "connector_internal.h"

namespace fst::connectors {
namespace {

using internal::BatchSlicer;

class ReaderConnector : public Connector {
 public:
  ReaderConnector(std::shared_ptr<arrow::RecordBatchReader> reader, core::Schema schema,
                  std::string what, const ReadOptions& options)
      : reader_(std::move(reader)),
        schema_(std::move(schema)),
        what_(std::move(what)),
        slicer_(options.batch_rows) {}

  Status Open(const ReadOptions& options) {
    const auto& input = *reader_->schema();
    std::vector<std::string> names;
    for (const auto& field : input.fields()) names.push_back(field->name());
    std::vector<std::string> used;
    for (const auto& spec : schema_) {
      const std::string& name = internal::SourceName(spec);
      std::vector<std::string> path = {name};
      if (input.GetFieldIndex(name) < 0) path = internal::SplitPath(name);
      if (input.GetFieldIndex(path.front()) < 0) return internal::MissingColumn(what_, spec, names, "the rows have");
      used.push_back(path.front());
      paths_.push_back(std::move(path));
    }
    arrow::FieldVector fields = internal::DeclaredFields(schema_);
    if (options.keep_extra_columns) {
      for (const auto& field : input.fields()) {
        if (std::find(used.begin(), used.end(), field->name()) != used.end()) continue;
        extras_.push_back(field->name());
        fields.push_back(field);
      }
    }
    output_schema_ = arrow::schema(std::move(fields));
    return Status::OK();
  }

  Result<Batch> Next() override {
    if (!error_.ok()) return error_;
    while (slicer_.empty() && !done_) {
      std::shared_ptr<arrow::RecordBatch> raw;
      Status status = reader_->ReadNext(&raw);
      if (status.ok() && raw == nullptr) {
        done_ = true;
        break;
      }
      Result<std::shared_ptr<arrow::RecordBatch>> converted =
          status.ok() ? Convert(*raw) : Result<std::shared_ptr<arrow::RecordBatch>>(
                                            status.WithMessage(what_, ": ", status.message()));
      if (!converted.ok()) {
        error_ = converted.status();
        return error_;
      }
      slicer_.Push(*std::move(converted));
    }
    if (slicer_.empty()) {
      // Input without rows: one empty batch, so that readers still see every column.
      if (slicer_.rows() == 0 && !sent_empty_) {
        sent_empty_ = true;
        FST_ASSIGN_OR_RAISE(auto empty, arrow::RecordBatch::MakeEmpty(output_schema_));
        return Batch{std::move(empty), 0};
      }
      return Batch{nullptr, slicer_.rows()};
    }
    return slicer_.Pop();
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> Convert(const arrow::RecordBatch& raw) {
    arrow::ArrayVector columns;
    for (size_t i = 0; i < schema_.size(); ++i) {
      FST_ASSIGN_OR_RAISE(auto found, internal::FindPath(raw, paths_[i]));
      if (found == nullptr) {
        return Status::Invalid(what_, ": cannot read ", internal::ColumnLabel(schema_[i]),
                               "; a path reaches fields of struct columns, not list elements");
      }
      FST_ASSIGN_OR_RAISE(auto column,
                          internal::CoerceColumn(*found, schema_[i], what_, slicer_.rows()));
      columns.push_back(std::move(column));
    }
    for (const auto& name : extras_) columns.push_back(raw.GetColumnByName(name));
    return arrow::RecordBatch::Make(output_schema_, raw.num_rows(), std::move(columns));
  }

  std::shared_ptr<arrow::RecordBatchReader> reader_;
  core::Schema schema_;
  std::string what_;
  BatchSlicer slicer_;
  std::vector<std::vector<std::string>> paths_;  // per declared column
  std::vector<std::string> extras_;
  std::shared_ptr<arrow::Schema> output_schema_;
  bool done_ = false;
  bool sent_empty_ = false;
  Status error_;
};

}  // namespace

Result<std::unique_ptr<Connector>> OpenReader(std::shared_ptr<arrow::RecordBatchReader> reader,
                                              const core::Schema& schema, const std::string& what,
                                              const ReadOptions& options) {
  FST_RETURN_NOT_OK(internal::EnsureCompute());
  auto connector = std::make_unique<ReaderConnector>(std::move(reader), schema, what, options);
  FST_RETURN_NOT_OK(connector->Open(options));
  return connector;
}

}  // namespace fst::connectors
