#include "part_sink.h"

#include <algorithm>
#include <cstdio>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/util/byte_size.h>

#include "featherstone/connectors/table_writer.h"
#include "featherstone/ingest/quarantine.h"
#include "featherstone/quality/quarantine_text.h"
#include "featherstone/quality/validator.h"
#include "kill_point.h"

namespace fst::ingest::internal {

std::vector<std::string> SortKeysFor(const definitions::Repo& repo,
                                     const definitions::Source& source) {
  const definitions::FeatureView* first = nullptr;
  for (const auto& view : repo.feature_views) {
    if (view.source == source.name && (first == nullptr || view.name < first->name)) {
      first = &view;
    }
  }
  if (first == nullptr) return {};
  return definitions::JoinKeys(repo, *first);
}

Result<std::shared_ptr<arrow::RecordBatch>> WithSeq(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                    int64_t ingest_id,
                                                    const arrow::Int64Array& rows) {
  arrow::Int64Builder seq;
  FST_RETURN_NOT_OK(seq.Reserve(batch->num_rows()));
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    seq.UnsafeAppend((ingest_id << 32) | (rows.Value(i) - 1));
  }
  std::shared_ptr<arrow::Array> array;
  FST_RETURN_NOT_OK(seq.Finish(&array));
  return batch->AddColumn(batch->num_columns(), arrow::field(offline::kSeqColumn, arrow::int64()),
                          array);
}

Status PartSink::Add(std::shared_ptr<arrow::RecordBatch> batch, int64_t part_rows,
                     int64_t part_bytes) {
  // A batch crossing a part boundary is sliced, so a part holds at most `part_rows` rows.
  while (batch->num_rows() > 0) {
    const int64_t room = std::max<int64_t>(1, part_rows - pending_rows_);
    const int64_t take = std::min(batch->num_rows(), room);
    pending_rows_ += take;
    pending_.push_back(take == batch->num_rows() ? batch : batch->Slice(0, take));
    // By the buffers the batch references (a slice counts whole: an upper bound).
    if (part_bytes > 0) pending_bytes_ += arrow::util::TotalBufferSize(*pending_.back());
    batch = batch->Slice(take);
    if (pending_rows_ >= part_rows || (part_bytes > 0 && pending_bytes_ >= part_bytes)) {
      FST_RETURN_NOT_OK(StartPart());
    }
  }
  return Status::OK();
}

Status PartSink::StartPart() {
  FST_RETURN_NOT_OK(Wait());
  if (pending_.empty()) return Status::OK();
  FST_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(pending_));
  pending_.clear();
  pending_rows_ = 0;
  pending_bytes_ = 0;
  char name[64];
  std::snprintf(name, sizeof(name), "part-%08lld-%04zu.parquet",
                static_cast<long long>(ingest_id_), started_++);
  auto write = [this, table, name = std::string(name)] {
    auto part = offline::WriteSortedPart(fs_, table, layout_, dir_ + "/" + name);
    if (!part.ok()) {
      writer_status_ = part.status();
      return;
    }
    part->path = name;
    parts_.push_back(*part);
    KillPoint("ingest.after_part");
  };
  if (!background_) {
    write();
    return Wait();
  }
  writer_ = std::thread(write);
  return Status::OK();
}

Status PartSink::Wait() {
  if (writer_.joinable()) writer_.join();
  return writer_status_;
}

Status PartSink::Flush() {
  FST_RETURN_NOT_OK(StartPart());
  return Wait();
}

void PartSink::Discard() {
  (void)Wait();
  for (const auto& part : parts_) (void)fs_.DeleteFile(dir_ + "/" + part.path);
}

std::vector<registry::FileRecord> PartSink::Records(const std::string& source) const {
  std::vector<registry::FileRecord> files;
  for (const auto& part : parts_) {
    files.push_back({ingest_id_, source, source + "/" + part.path, part.rows, part.min_ts,
                     part.max_ts, {}});
  }
  return files;
}

Result<std::shared_ptr<arrow::RecordBatch>> UndecodedRows(const core::Schema& schema,
                                                          int64_t first_row,
                                                          const std::vector<UndecodedInput>& inputs) {
  FST_ASSIGN_OR_RAISE(auto with_payload,
                      quality::QuarantineSchema(schema)->AddField(
                          static_cast<int>(schema.size()) + 3,
                          arrow::field(kPayloadColumn, arrow::binary())));
  const auto rows = static_cast<int64_t>(inputs.size());
  arrow::ArrayVector columns;
  for (size_t c = 0; c < schema.size(); ++c) {
    FST_ASSIGN_OR_RAISE(auto nulls,
                        arrow::MakeArrayOfNull(with_payload->field(static_cast<int>(c))->type(),
                                               rows));
    columns.push_back(std::move(nulls));
  }
  arrow::Int64Builder numbers;
  arrow::StringBuilder rules, reasons;
  arrow::BinaryBuilder payloads;
  for (int64_t i = 0; i < rows; ++i) {
    const auto& input = inputs[static_cast<size_t>(i)];
    FST_RETURN_NOT_OK(numbers.Append(first_row + 1 + i));
    FST_RETURN_NOT_OK(rules.Append(kDecodeRule));
    FST_RETURN_NOT_OK(reasons.Append(input.reason));
    FST_RETURN_NOT_OK(payloads.Append(input.payload));
  }
  for (arrow::ArrayBuilder* builder :
       std::initializer_list<arrow::ArrayBuilder*>{&numbers, &rules, &reasons, &payloads}) {
    std::shared_ptr<arrow::Array> column;
    FST_RETURN_NOT_OK(builder->Finish(&column));
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(with_payload, rows, std::move(columns));
}

Status QuarantineSink::Add(std::shared_ptr<arrow::RecordBatch> batch) {
  if (batch == nullptr || batch->num_rows() == 0) return Status::OK();
  pending_rows_ += batch->num_rows();
  rows_ += batch->num_rows();
  pending_.push_back(std::move(batch));
  if (pending_rows_ >= file_rows_) return Flush();
  return Status::OK();
}

Status QuarantineSink::Flush() {
  if (pending_.empty()) return Status::OK();
  // Rows that broke the contract get a null payload when a file also holds undecoded inputs.
  const bool payloads = std::any_of(pending_.begin(), pending_.end(), [](const auto& batch) {
    return batch->schema()->GetFieldIndex(kPayloadColumn) >= 0;
  });
  if (payloads) {
    for (auto& batch : pending_) {
      if (batch->schema()->GetFieldIndex(kPayloadColumn) >= 0) continue;
      FST_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(arrow::binary(), batch->num_rows()));
      FST_ASSIGN_OR_RAISE(batch, batch->AddColumn(batch->num_columns(),
                                                  arrow::field(kPayloadColumn, arrow::binary()),
                                                  std::move(nulls)));
    }
  }
  FST_ASSIGN_OR_RAISE(auto unsorted, arrow::Table::FromRecordBatches(pending_));
  pending_.clear();
  // Rows held until the end of the run come last; keep the file in input order.
  const arrow::compute::SortOptions by_row({arrow::compute::SortKey(quality::kRowColumn)});
  FST_ASSIGN_OR_RAISE(auto order, arrow::compute::SortIndices(arrow::Datum(unsorted), by_row));
  FST_ASSIGN_OR_RAISE(auto sorted, arrow::compute::Take(arrow::Datum(unsorted), order));
  std::shared_ptr<arrow::Table> table = sorted.table();
  char name[64];
  std::snprintf(name, sizeof(name), "q-%08lld-%04zu.parquet", static_cast<long long>(ingest_id_),
                files_.size());
  Status created = fs_.CreateDir(dir_, /*recursive=*/true);
  if (!created.ok()) return Status::IOError(dir_, ": cannot create folder: ", created.message());
  FST_RETURN_NOT_OK(connectors::WriteTableFile(fs_, *table, dir_ + "/" + name));
  files_.emplace_back(name, pending_rows_);
  pending_rows_ = 0;
  return Status::OK();
}

void QuarantineSink::Discard() {
  for (const auto& [name, rows] : files_) (void)fs_.DeleteFile(dir_ + "/" + name);
}

std::vector<registry::QuarantineFileRecord> QuarantineSink::Records(
    const std::string& source) const {
  std::vector<registry::QuarantineFileRecord> records;
  for (const auto& [name, rows] : files_) {
    registry::QuarantineFileRecord record;
    record.ingest_id = ingest_id_;
    record.source = source;
    record.path = source + "/" + name;
    record.rows = rows;
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::shared_ptr<arrow::RecordBatch>> ReadQuarantineFile(arrow::fs::FileSystem& fs,
                                                               const std::string& path,
                                                               const core::Schema& schema) {
  std::vector<std::string> names;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& column : schema) {
    names.push_back(column.name);
    types.push_back(column.type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8());
  }
  for (const char* name : {quality::kRowColumn, quality::kRulesColumn, quality::kReasonsColumn}) {
    names.push_back(name);
    types.push_back(name == quality::kRowColumn ? arrow::int64() : arrow::utf8());
  }
  names.push_back(kPayloadColumn);
  types.push_back(arrow::binary());
  FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(fs, path, names, types));
  FST_ASSIGN_OR_RAISE(auto combined, table->CombineChunksToBatch());
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  for (size_t c = 0; c < names.size(); ++c) {
    auto array = combined->column(static_cast<int>(c));
    if (c < schema.size()) {
      auto typed = quality::FromText(array, schema[c]);
      if (!typed.ok()) return Status::Invalid(path, ": ", typed.status().message());
      array = *typed;
      fields.push_back(arrow::field(names[c], array->type()));
    } else {
      fields.push_back(arrow::field(names[c], types[c]));
    }
    columns.push_back(array);
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), combined->num_rows(), columns);
}

}  // namespace fst::ingest::internal
