#include "featherstone/pipeline/ingest.h"

#include <cstdio>
#include <filesystem>

#include <arrow/api.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/core/hash.h"
#include "featherstone/offline/part_file.h"
#include "kill_point.h"
#include "view_plan.h"

namespace fst::pipeline {
namespace {

// Sort keys for a source's parts: the join keys of the first view (by name) reading it.
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

// Event times and sort keys must be present on every row.
Status CheckRequired(const arrow::RecordBatch& batch, const std::vector<std::string>& columns,
                     const std::string& path, int64_t first_row) {
  for (const auto& name : columns) {
    auto column = batch.GetColumnByName(name);
    if (column == nullptr || column->null_count() == 0) continue;
    for (int64_t i = 0; i < column->length(); ++i) {
      if (column->IsNull(i)) {
        return Status::Invalid(path, ": row ", first_row + i + 1, ", column '", name,
                               "': value is empty; a join key or event time is required on "
                               "every row");
      }
    }
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> WithSeq(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                    int64_t ingest_id, int64_t first_row) {
  arrow::Int64Builder seq;
  FST_RETURN_NOT_OK(seq.Reserve(batch->num_rows()));
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    seq.UnsafeAppend((ingest_id << 32) | (first_row + i));
  }
  std::shared_ptr<arrow::Array> array;
  FST_RETURN_NOT_OK(seq.Finish(&array));
  return batch->AddColumn(batch->num_columns(), arrow::field(offline::kSeqColumn, arrow::int64()),
                          array);
}

class PartSink {
 public:
  PartSink(std::string dir, int64_t ingest_id, offline::PartLayout layout)
      : dir_(std::move(dir)), ingest_id_(ingest_id), layout_(std::move(layout)) {}

  Status Add(std::shared_ptr<arrow::RecordBatch> batch, int64_t part_rows) {
    pending_rows_ += batch->num_rows();
    pending_.push_back(std::move(batch));
    if (pending_rows_ >= part_rows) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (pending_.empty()) return Status::OK();
    FST_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(pending_));
    pending_.clear();
    pending_rows_ = 0;
    char name[64];
    std::snprintf(name, sizeof(name), "part-%08lld-%04zu.parquet",
                  static_cast<long long>(ingest_id_), parts_.size());
    FST_ASSIGN_OR_RAISE(auto part, offline::WriteSortedPart(table, layout_, dir_ + "/" + name));
    part.path = name;
    parts_.push_back(part);
    KillPoint("ingest.after_part");
    return Status::OK();
  }

  // Removes the parts written so far (they were never published).
  void Discard() {
    std::error_code ec;
    for (const auto& part : parts_) std::filesystem::remove(dir_ + "/" + part.path, ec);
  }

  const std::vector<offline::WrittenPart>& parts() const { return parts_; }

 private:
  std::string dir_;
  int64_t ingest_id_;
  offline::PartLayout layout_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
  std::vector<offline::WrittenPart> parts_;
};

}  // namespace

Result<IngestResult> IngestFile(RepoContext& repo, const std::string& source_name,
                                const std::string& path, const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  const definitions::Source* source = applied->FindSource(source_name);
  if (source == nullptr) {
    std::vector<std::string> known;
    for (const auto& s : applied->sources) known.push_back(s.name);
    return Status::KeyError("unknown source '", source_name, "'; applied sources: ",
                            known.empty() ? "(none)" : JoinNames(known));
  }
  IngestResult result;
  result.input = path;
  FST_ASSIGN_OR_RAISE(auto hash, core::HashFileHex(path));
  FST_ASSIGN_OR_RAISE(auto earlier, repo.registry().FindPublishedIngest(source_name, hash));
  if (earlier.has_value()) {
    result.skipped = true;
    result.ingest_id = earlier->id;
    result.rows = earlier->rows;
    return result;
  }
  FST_ASSIGN_OR_RAISE(auto connector,
                      connectors::OpenFile(path, source->format, source->schema, {}));
  FST_ASSIGN_OR_RAISE(result.ingest_id, repo.registry().BeginIngest(source_name, path, hash));

  offline::PartLayout layout;
  layout.sort_keys = SortKeysFor(*applied, *source);
  layout.ts_column = source->timestamp_field;
  layout.created_column = source->created_timestamp_field;
  std::vector<std::string> required = layout.sort_keys;
  required.push_back(layout.ts_column);

  PartSink sink(repo.OfflineRoot() + "/" + source_name, result.ingest_id, layout);
  auto run = [&]() -> Status {
    while (true) {
      FST_ASSIGN_OR_RAISE(auto batch, connector->Next());
      if (batch.batch == nullptr) break;
      FST_RETURN_NOT_OK(CheckRequired(*batch.batch, required, path, batch.first_row));
      FST_ASSIGN_OR_RAISE(auto with_seq, WithSeq(batch.batch, result.ingest_id, batch.first_row));
      result.rows += with_seq->num_rows();
      FST_RETURN_NOT_OK(sink.Add(with_seq, options.part_rows));
      if (options.progress) options.progress(result.rows);
    }
    FST_RETURN_NOT_OK(sink.Flush());
    KillPoint("ingest.before_publish");
    std::vector<registry::FileRecord> files;
    for (const auto& part : sink.parts()) {
      files.push_back({result.ingest_id, source_name, source_name + "/" + part.path, part.rows,
                       part.min_ts, part.max_ts});
    }
    return repo.registry().PublishIngest(result.ingest_id, result.rows, files);
  };
  Status status = run();
  if (!status.ok()) {
    sink.Discard();
    return status;
  }
  result.parts = static_cast<int64_t>(sink.parts().size());
  return result;
}

}  // namespace fst::pipeline
