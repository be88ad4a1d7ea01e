#include "featherstone/retrieval/spine.h"

#include <algorithm>
#include <limits>
#include <sstream>
#include <unordered_set>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "featherstone/core/time.h"
#include "featherstone/features/on_demand.h"
#include "featherstone/offline/part_file.h"
#include "view_compute.h"
#include "view_keys.h"

namespace fst::retrieval {
namespace {

constexpr char kSpineForm[] = "every STEP [from TIME] [to TIME] for all ENTITY";

Status SpineError(const std::string& text, const std::string& problem) {
  return Status::Invalid("spine '", text, "': ", problem, "; expected '", kSpineForm,
                         "', e.g. 'every 1d from 2026-01-01 to 2026-03-31 for all customer'");
}

// The views the requested features read (through on-demand views too), each once.
Result<std::vector<std::string>> ViewsRead(const definitions::Repo& applied,
                                           const std::vector<definitions::FeatureRef>& refs) {
  FST_ASSIGN_OR_RAISE(auto on_demand, features::PlanOnDemand(applied, refs));
  std::vector<std::string> views;
  for (const auto& ref : on_demand.reads) {
    if (std::find(views.begin(), views.end(), ref.view) == views.end()) views.push_back(ref.view);
  }
  return views;
}

std::shared_ptr<arrow::Field> TimestampField(const HistoricalOptions& options) {
  return arrow::field(options.timestamp_column, core::ToArrowType(core::ValueType::kTimestamp),
                      false);
}

// Every key × every time, `chunk_rows` rows at a time, key-major.
class EverySpine final : public SpineReader {
 public:
  EverySpine(std::shared_ptr<arrow::RecordBatch> keys, int64_t from, int64_t step, int64_t times,
             std::shared_ptr<arrow::Field> ts_field, int64_t chunk_rows)
      : keys_(std::move(keys)),
        from_(from),
        step_(step),
        times_(times),
        ts_field_(std::move(ts_field)),
        chunk_rows_(chunk_rows),
        total_(keys_->num_rows() * times) {}

  Result<std::shared_ptr<arrow::Table>> Next() override {
    if (next_ >= total_ && started_) return nullptr;
    started_ = true;
    const int64_t end = std::min(total_, next_ + chunk_rows_);
    arrow::Int64Builder key_index;
    arrow::TimestampBuilder ts(ts_field_->type(), arrow::default_memory_pool());
    FST_RETURN_NOT_OK(key_index.Reserve(end - next_));
    FST_RETURN_NOT_OK(ts.Reserve(end - next_));
    for (int64_t r = next_; r < end; ++r) {
      key_index.UnsafeAppend(r / times_);
      ts.UnsafeAppend(from_ + (r % times_) * step_);
    }
    next_ = end;
    std::shared_ptr<arrow::Array> indices, times;
    FST_RETURN_NOT_OK(key_index.Finish(&indices));
    FST_RETURN_NOT_OK(ts.Finish(&times));
    FST_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(keys_, indices));
    auto columns = taken.record_batch()->columns();
    auto fields = keys_->schema()->fields();
    columns.push_back(times);
    fields.push_back(ts_field_);
    return arrow::Table::Make(arrow::schema(fields), columns, times->length());
  }

  int64_t total_rows() const override { return total_; }
  int64_t skipped_rows() const override { return 0; }

 private:
  std::shared_ptr<arrow::RecordBatch> keys_;  // distinct keys, sorted
  int64_t from_;
  int64_t step_;
  int64_t times_;  // times per key
  std::shared_ptr<arrow::Field> ts_field_;
  int64_t chunk_rows_;
  int64_t total_;
  int64_t next_ = 0;
  bool started_ = false;
};

// A source's stored rows, file by file, `chunk_rows` rows at a time.
class SourceSpine final : public SpineReader {
 public:
  SourceSpine(std::vector<std::string> paths, int64_t total, std::vector<std::string> columns,
              std::vector<std::shared_ptr<arrow::DataType>> types,
              std::shared_ptr<arrow::Schema> schema, int64_t chunk_rows)
      : paths_(std::move(paths)),
        total_(total),
        columns_(std::move(columns)),
        types_(std::move(types)),
        schema_(std::move(schema)),
        chunk_rows_(chunk_rows) {}

  Result<std::shared_ptr<arrow::Table>> Next() override {
    std::vector<std::shared_ptr<arrow::Table>> pieces;
    int64_t rows = 0;
    while (rows < chunk_rows_) {
      if (offset_ >= (current_ == nullptr ? 0 : current_->num_rows())) {
        if (file_ >= paths_.size()) break;
        FST_RETURN_NOT_OK(Load(paths_[file_++]));
        continue;
      }
      const int64_t take = std::min(chunk_rows_ - rows, current_->num_rows() - offset_);
      pieces.push_back(current_->Slice(offset_, take));
      offset_ += take;
      rows += take;
    }
    if (pieces.empty()) {
      if (started_) return nullptr;
      started_ = true;
      return arrow::Table::MakeEmpty(schema_);
    }
    started_ = true;
    return arrow::ConcatenateTables(pieces);
  }

  int64_t total_rows() const override { return total_; }
  int64_t skipped_rows() const override { return skipped_; }

 private:
  // Reads a file's key and time columns, leaving out rows whose time is null.
  Status Load(const std::string& path) {
    FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(path, columns_, types_));
    auto at = table->column(table->num_columns() - 1);
    if (at->null_count() > 0) {
      FST_ASSIGN_OR_RAISE(auto valid, arrow::compute::IsValid(at));
      FST_ASSIGN_OR_RAISE(auto kept, arrow::compute::Filter(table, valid));
      skipped_ += table->num_rows() - kept.table()->num_rows();
      table = kept.table();
    }
    current_ = arrow::Table::Make(schema_, table->columns(), table->num_rows());
    offset_ = 0;
    return Status::OK();
  }

  std::vector<std::string> paths_;
  int64_t total_;
  std::vector<std::string> columns_;  // join keys, then the time column
  std::vector<std::shared_ptr<arrow::DataType>> types_;
  std::shared_ptr<arrow::Schema> schema_;  // join keys, then options.timestamp_column
  int64_t chunk_rows_;
  size_t file_ = 0;
  std::shared_ptr<arrow::Table> current_;
  int64_t offset_ = 0;
  int64_t skipped_ = 0;
  bool started_ = false;
};

Result<std::unique_ptr<SpineReader>> OpenEvery(repo::RepoContext& repo,
                                               const definitions::Repo& applied,
                                               const Spine& spine,
                                               const std::vector<definitions::FeatureRef>& refs,
                                               const HistoricalOptions& options,
                                               int64_t chunk_rows) {
  const definitions::Entity* entity = applied.FindEntity(spine.entity);
  if (entity == nullptr) {
    std::string known;
    for (const auto& e : applied.entities) known += (known.empty() ? "" : ", ") + e.name;
    return Status::KeyError("spine: unknown entity '", spine.entity, "'; the entities are: ",
                            known);
  }
  if (spine.step_us <= 0) return Status::Invalid("spine: the step must be positive");
  FST_ASSIGN_OR_RAISE(auto views, ViewsRead(applied, refs));
  std::vector<std::string> encoded;
  std::unordered_set<std::string> seen;
  std::optional<features::ViewPlan> key_plan;
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  for (const auto& name : views) {
    const definitions::FeatureView* view = applied.FindView(name);
    if (view == nullptr || view->entities != std::vector<std::string>{entity->name}) continue;
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(applied, name, {}));
    FST_ASSIGN_OR_RAISE(auto records, repo.registry().ListFiles(plan.source->name));
    FST_ASSIGN_OR_RAISE(auto files, PartRefs(repo, plan));
    FST_ASSIGN_OR_RAISE(auto keys, TouchedKeys(files, records, plan, KeyFilter{}));
    for (auto& key : keys) {
      if (seen.insert(key).second) encoded.push_back(std::move(key));
    }
    for (const auto& file : files) {
      min_ts = std::min(min_ts, file.min_ts);
      max_ts = std::max(max_ts, file.max_ts);
    }
    if (!key_plan.has_value()) key_plan = std::move(plan);
  }
  if (!key_plan.has_value()) {
    std::string read;
    for (const auto& name : views) read += (read.empty() ? "" : ", ") + name;
    return Status::Invalid("spine: no requested feature view is keyed by entity '", entity->name,
                           "' alone (the views read are: ", read, ")");
  }
  const int64_t from = spine.from_us.value_or(min_ts);
  const int64_t to = spine.to_us.value_or(max_ts);
  int64_t times = 0;
  if (encoded.empty() && !spine.from_us.has_value() && !spine.to_us.has_value()) {
    times = 0;  // no data: no keys and no time range
  } else if (to < from) {
    return Status::Invalid("spine: 'to' (", core::FormatTimestamp(to), ") is before 'from' (",
                           core::FormatTimestamp(from), ")");
  } else {
    times = (to - from) / spine.step_us + 1;
  }
  FST_ASSIGN_OR_RAISE(auto arrays, KeyArrays(encoded, *key_plan));
  arrow::FieldVector fields;
  std::vector<arrow::compute::SortKey> sort_keys;
  for (size_t k = 0; k < key_plan->join_keys.size(); ++k) {
    fields.push_back(arrow::field(key_plan->join_keys[k], arrays[k]->type()));
    sort_keys.emplace_back(key_plan->join_keys[k]);
  }
  auto keys = arrow::RecordBatch::Make(arrow::schema(fields),
                                       static_cast<int64_t>(encoded.size()), arrays);
  FST_ASSIGN_OR_RAISE(auto order, arrow::compute::SortIndices(
                                      arrow::Datum(keys), arrow::compute::SortOptions(sort_keys)));
  FST_ASSIGN_OR_RAISE(auto sorted, arrow::compute::Take(keys, order));
  return std::make_unique<EverySpine>(sorted.record_batch(), from, spine.step_us, times,
                                      TimestampField(options), chunk_rows);
}

Result<std::unique_ptr<SpineReader>> OpenSource(repo::RepoContext& repo,
                                                const definitions::Repo& applied,
                                                const Spine& spine,
                                                const std::vector<definitions::FeatureRef>& refs,
                                                const HistoricalOptions& options,
                                                int64_t chunk_rows) {
  const definitions::Source* source = applied.FindSource(spine.source);
  if (source == nullptr) {
    std::string known;
    for (const auto& s : applied.sources) known += (known.empty() ? "" : ", ") + s.name;
    return Status::KeyError("spine: unknown source '", spine.source, "'; the sources are: ",
                            known);
  }
  const std::string at = spine.at_column.empty() ? source->timestamp_field : spine.at_column;
  const core::ColumnSpec* at_spec = core::FindColumn(source->schema, at);
  if (at_spec == nullptr || at_spec->type != core::ValueType::kTimestamp) {
    std::string known;
    for (const auto& column : source->schema) {
      if (column.type == core::ValueType::kTimestamp) {
        known += (known.empty() ? "" : ", ") + column.name;
      }
    }
    return Status::KeyError("spine: source '", source->name, "' has no timestamp column '", at,
                            "'; its timestamp columns are: ", known);
  }
  FST_ASSIGN_OR_RAISE(auto entity_schema, EntitySchema(repo, refs, options));
  std::vector<std::string> columns;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  arrow::FieldVector fields;
  for (const auto& column : entity_schema) {
    if (column.name == options.timestamp_column) break;  // the join keys come first
    const core::ColumnSpec* spec = core::FindColumn(source->schema, column.name);
    if (spec == nullptr) {
      return Status::Invalid("spine: source '", source->name, "' has no column '", column.name,
                             "', a join key of the requested features");
    }
    columns.push_back(column.name);
    types.push_back(core::ToArrowType(spec->type));
    fields.push_back(arrow::field(column.name, types.back()));
  }
  columns.push_back(at);
  types.push_back(core::ToArrowType(core::ValueType::kTimestamp));
  fields.push_back(TimestampField(options));
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source->name));
  std::vector<std::string> paths;
  int64_t total = 0;
  for (const auto& file : files) {
    paths.push_back(repo.OfflineRoot() + "/" + file.path);
    total += file.rows;
  }
  return std::make_unique<SourceSpine>(std::move(paths), total, std::move(columns),
                                       std::move(types), arrow::schema(fields), chunk_rows);
}

}  // namespace

Result<Spine> ParseSpine(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  Spine spine;
  size_t i = 0;
  auto word = [&](size_t at) { return at < words.size() ? words[at] : std::string(); };
  if (word(i) != "every") return SpineError(text, "it must start with 'every'");
  ++i;
  if (word(i).empty()) return SpineError(text, "a step (e.g. 1d) must follow 'every'");
  auto step = core::ParseDuration(word(i));
  if (!step.ok() || *step <= 0) {
    return SpineError(text, "'" + word(i) + "' is not a positive duration (e.g. 1h, 1d, 7d)");
  }
  spine.step_us = *step;
  ++i;
  for (const char* bound : {"from", "to"}) {
    if (word(i) != bound) continue;
    auto at = core::ParseTimestamp(word(i + 1));
    if (!at.ok()) {
      return SpineError(text, "'" + word(i + 1) + "' after '" + bound + "' is not a time (" +
                                  at.status().message() + ")");
    }
    (std::string(bound) == "from" ? spine.from_us : spine.to_us) = *at;
    i += 2;
  }
  if (word(i) != "for" || word(i + 1) != "all" || word(i + 2).empty()) {
    return SpineError(text, word(i).empty() ? "'for all ENTITY' is missing"
                                            : "'" + word(i) + "' is not expected here");
  }
  spine.entity = word(i + 2);
  if (i + 3 != words.size()) {
    return SpineError(text, "'" + word(i + 3) + "' after the entity is not expected");
  }
  return spine;
}

Result<std::unique_ptr<SpineReader>> OpenSpine(repo::RepoContext& repo, const Spine& spine,
                                               const std::vector<definitions::FeatureRef>& refs,
                                               const HistoricalOptions& options,
                                               int64_t chunk_rows) {
  if (chunk_rows <= 0) return Status::Invalid("spine: chunk rows must be positive");
  if (spine.entity.empty() == spine.source.empty()) {
    return Status::Invalid("spine: give exactly one of an entity ('every ... for all ENTITY') "
                           "and a source");
  }
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  if (!spine.entity.empty()) return OpenEvery(repo, *applied, spine, refs, options, chunk_rows);
  return OpenSource(repo, *applied, spine, refs, options, chunk_rows);
}

}  // namespace fst::retrieval
