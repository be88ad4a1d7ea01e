#include "featherstone/retrieval/historical.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/core/arrow_init.h"
#include "featherstone/features/on_demand.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/offline/part_file.h"
#include "view_compute.h"

namespace fst::retrieval {
namespace {

// Requested features grouped by view, views in order of first mention.
std::vector<std::pair<std::string, std::vector<std::string>>> GroupByView(
    const std::vector<definitions::FeatureRef>& refs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& ref : refs) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == ref.view; });
    if (it == groups.end()) {
      groups.push_back({ref.view, {}});
      it = groups.end() - 1;
    }
    it->second.push_back(ref.feature);
  }
  return groups;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<definitions::FeatureRef>> ResolveFeatures(const definitions::Repo& repo,
                                                             const std::string& features,
                                                             const std::string& service) {
  std::vector<definitions::FeatureRef> refs;
  if (!service.empty()) {
    const definitions::FeatureService* s = repo.FindService(service);
    if (s == nullptr) {
      std::vector<std::string> known;
      for (const auto& fs : repo.feature_services) known.push_back(fs.name);
      return Status::KeyError("unknown feature service '", service, "'; applied services: ",
                              known.empty() ? "(none)" : features::JoinNames(known));
    }
    refs = s->features;
  } else {
    for (const auto& text : SplitComma(features)) {
      FST_ASSIGN_OR_RAISE(auto ref, definitions::ParseFeatureRef(text));
      refs.push_back(ref);
    }
  }
  if (refs.empty()) return Status::Invalid("no features requested");
  FST_ASSIGN_OR_RAISE(auto on_demand, features::PlanOnDemand(repo, refs));
  for (const auto& [view, names] : GroupByView(on_demand.reads)) {
    FST_RETURN_NOT_OK(features::PlanView(repo, view, names).status());
  }
  return refs;
}

Result<core::Schema> EntitySchema(repo::RepoContext& repo,
                                  const std::vector<definitions::FeatureRef>& refs,
                                  const HistoricalOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto on_demand, features::PlanOnDemand(*applied, refs));
  core::Schema schema;
  for (const auto& [view, names] : GroupByView(on_demand.reads)) {
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(*applied, view, names));
    for (size_t k = 0; k < plan.join_keys.size(); ++k) {
      if (core::FindColumn(schema, plan.join_keys[k]) == nullptr) {
        schema.push_back({plan.join_keys[k], plan.key_types[k], true, ""});
      }
    }
  }
  schema.push_back({options.timestamp_column, core::ValueType::kTimestamp, false, ""});
  for (const auto& field : on_demand.request_fields) {
    if (core::FindColumn(schema, field.spec.name) == nullptr) schema.push_back(field.spec);
  }
  return schema;
}

Result<int64_t> ParseMemoryLimit(const std::string& text) {
  auto invalid = [&]() {
    return Status::Invalid("memory limit '", text, "': expected bytes or a whole number with a "
                           "unit KB, MB, GB or TB (e.g. 512MB, 2GB), or 0 or none for no limit");
  };
  std::string lower;
  for (char c : text) {
    if (c != ' ') lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (lower == "none") return 0;
  size_t digits = 0;
  while (digits < lower.size() && std::isdigit(static_cast<unsigned char>(lower[digits]))) ++digits;
  if (digits == 0 || digits > 18) return invalid();
  const int64_t number = std::stoll(lower.substr(0, digits));
  static const std::map<std::string, int> kShifts = {
      {"", 0},    {"b", 0},    {"k", 10},   {"kb", 10},  {"kib", 10}, {"m", 20},  {"mb", 20},
      {"mib", 20}, {"g", 30},  {"gb", 30},  {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40}};
  const auto unit = kShifts.find(lower.substr(digits));
  if (unit == kShifts.end()) return invalid();
  if (number > (std::numeric_limits<int64_t>::max() >> unit->second)) return invalid();
  return number << unit->second;
}

int64_t EntityChunkRows(int64_t memory_limit) {
  if (memory_limit <= 0) return std::numeric_limits<int64_t>::max();
  return std::max<int64_t>(memory_limit / 2 / kEntityRowBytes, 1);
}

Result<std::shared_ptr<arrow::Table>> ReadEntityFile(repo::RepoContext& repo, const std::string& path,
                                                     const std::vector<definitions::FeatureRef>& refs,
                                                     const HistoricalOptions& options) {
  FST_ASSIGN_OR_RAISE(auto schema, EntitySchema(repo, refs, options));
  connectors::ReadOptions read_options;
  read_options.keep_extra_columns = true;
  FST_ASSIGN_OR_RAISE(auto connector, connectors::OpenFile(path, "", schema, read_options));
  return connectors::ReadAll(*connector, schema);
}

Result<std::shared_ptr<arrow::Table>> NormalizeEntityTable(
    repo::RepoContext& repo, std::shared_ptr<arrow::RecordBatchReader> rows,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::string& what) {
  FST_ASSIGN_OR_RAISE(auto schema, EntitySchema(repo, refs, options));
  connectors::ReadOptions read_options;
  read_options.keep_extra_columns = true;
  FST_ASSIGN_OR_RAISE(auto connector,
                      connectors::OpenReader(std::move(rows), schema, what, read_options));
  return connectors::ReadAll(*connector, schema);
}

namespace {

// The runs a view's features are computed from.
using PartsOf = std::function<Result<std::vector<offline::PartRef>>(const features::ViewPlan&)>;

// The output rows of `entities`, whose first row is entity row `first_row` (0-based) of the
// input in messages.
Result<std::shared_ptr<arrow::Table>> Compute(repo::RepoContext& repo,
                                              const std::shared_ptr<arrow::Table>& entities,
                                              const std::vector<definitions::FeatureRef>& refs,
                                              const HistoricalOptions& options,
                                              const PartsOf& parts_of, int64_t first_row = 0) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  auto ts_column = entities->GetColumnByName(options.timestamp_column);
  if (ts_column == nullptr) {
    return Status::Invalid("the entity rows have no timestamp column '", options.timestamp_column,
                           "'; name it with --timestamp-column");
  }
  FST_ASSIGN_OR_RAISE(auto ts_array, features::Flatten(*ts_column));
  if (ts_array->type_id() != arrow::Type::TIMESTAMP) {
    return Status::Invalid("entity timestamp column '", options.timestamp_column,
                           "' must be a timestamp, got ", ts_array->type()->ToString());
  }
  const int64_t n = entities->num_rows();
  std::vector<int64_t> entity_ts(static_cast<size_t>(n));
  const int64_t* raw_ts = ts_array->data()->GetValues<int64_t>(1);
  for (int64_t i = 0; i < n; ++i) {
    if (ts_array->IsNull(i)) {
      return Status::Invalid("entity row ", first_row + i + 1, ", column '",
                             options.timestamp_column, "': timestamp is empty");
    }
    entity_ts[static_cast<size_t>(i)] = raw_ts[i];
  }

  // Output names, checked for clashes before any work.
  std::map<std::string, std::string> producer;  // output name -> what produces it
  for (const auto& field : entities->schema()->fields()) {
    producer[field->name()] = "the entity column '" + field->name() + "'";
  }
  for (const auto& ref : refs) {
    const std::string name =
        options.full_feature_names ? ref.view + "__" + ref.feature : ref.feature;
    auto [it, inserted] = producer.emplace(name, "feature '" + ref.ToString() + "'");
    if (!inserted) {
      return Status::Invalid("output column '", name, "' is produced by both ", it->second,
                             " and feature '", ref.ToString(), "'",
                             options.full_feature_names ? "" : "; use --full-feature-names");
    }
  }

  FST_ASSIGN_OR_RAISE(auto on_demand, features::PlanOnDemand(*applied, refs));
  std::map<std::string, std::shared_ptr<arrow::Array>> request;
  if (!on_demand.features.empty()) {
    FST_ASSIGN_OR_RAISE(request, features::RequestFromTable(on_demand, *entities, "the entity rows"));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields = entities->schema()->fields();
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns = entities->columns();
  auto add_column = [&](const definitions::FeatureRef& ref,
                        const std::shared_ptr<arrow::Array>& values) {
    const std::string name =
        options.full_feature_names ? ref.view + "__" + ref.feature : ref.feature;
    fields.push_back(arrow::field(name, values->type()));
    columns.push_back(std::make_shared<arrow::ChunkedArray>(values));
  };
  std::map<std::string, std::shared_ptr<arrow::Array>> stored;  // inputs of on-demand features
  for (const auto& [view, names] : GroupByView(on_demand.reads)) {
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(*applied, view, names));
    std::vector<std::shared_ptr<arrow::Array>> keys;
    for (const auto& key : plan.join_keys) {
      auto column = entities->GetColumnByName(key);
      if (column == nullptr) {
        return Status::Invalid("the entity rows have no join key column '", key,
                               "' needed by feature view '", view, "'");
      }
      FST_ASSIGN_OR_RAISE(auto array, features::Flatten(*column));
      keys.push_back(array);
    }
    FST_ASSIGN_OR_RAISE(auto files, parts_of(plan));
    FST_ASSIGN_OR_RAISE(auto values, ComputeView(plan, files, keys, entity_ts, repo.threads(),
                                                 options.memory_limit / 2));
    for (size_t f = 0; f < plan.features.size(); ++f) {
      const definitions::FeatureRef ref{view, plan.features[f]};
      stored[features::QualifiedName(ref)] = values[f];
      if (features::HasRef(refs, ref)) add_column(ref, values[f]);
    }
  }
  if (!on_demand.features.empty()) {
    FST_ASSIGN_OR_RAISE(auto values, features::ComputeOnDemand(on_demand, stored, request, entity_ts));
    for (size_t f = 0; f < values.size(); ++f) add_column(on_demand.features[f].ref, values[f]);
  }
  return arrow::Table::Make(arrow::schema(fields), columns, n);
}

// The published parts of the offline store, as of `options.known_at_us`.
PartsOf StoredParts(repo::RepoContext& repo, const HistoricalOptions& options) {
  return [&repo, known_at = options.known_at_us](const features::ViewPlan& plan) {
    return PartRefs(repo, plan, known_at);
  };
}

// `rows` of `source` as one in-memory run: its declared columns cast to their declared types,
// __seq to int64, other columns left out.
Result<offline::PartRef> InMemoryRun(const definitions::Source& source,
                                     const std::shared_ptr<arrow::Table>& rows) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
  for (int c = 0; c < rows->num_columns(); ++c) {
    const std::string& name = rows->field(c)->name();
    const core::ColumnSpec* spec = core::FindColumn(source.schema, name);
    if (spec == nullptr && name != offline::kSeqColumn) continue;
    auto type = spec == nullptr ? arrow::int64() : core::ToArrowType(spec->type);
    std::shared_ptr<arrow::ChunkedArray> column = rows->column(c);
    if (!column->type()->Equals(type)) {
      auto cast = arrow::compute::Cast(column, type);
      if (!cast.ok()) {
        return Status::Invalid("rows of source '", source.name, "', column '", name, "': ",
                               column->type()->ToString(), " does not cast to ",
                               type->ToString());
      }
      column = cast->chunked_array();
    }
    fields.push_back(arrow::field(name, type));
    columns.push_back(column);
  }
  offline::PartRef run{"rows of source '" + source.name + "'", 0, 0, {}, nullptr};
  run.rows = arrow::Table::Make(arrow::schema(fields), columns, rows->num_rows());
  auto ts = run.rows->GetColumnByName(source.timestamp_field);
  if (ts == nullptr || run.rows->GetColumnByName(offline::kSeqColumn) == nullptr) {
    return Status::Invalid("rows of source '", source.name, "' lack its column '",
                           ts == nullptr ? source.timestamp_field : offline::kSeqColumn, "'");
  }
  FST_ASSIGN_OR_RAISE(auto minmax, arrow::compute::MinMax(ts));
  const auto& range = minmax.scalar_as<arrow::StructScalar>();
  run.min_ts = std::static_pointer_cast<arrow::TimestampScalar>(range.value[0])->value;
  run.max_ts = std::static_pointer_cast<arrow::TimestampScalar>(range.value[1])->value;
  return run;
}

// The offline data of the sources behind `refs` (through on-demand views to the views they
// read), as OpenLineage datasets.
std::vector<lineage::Dataset> SourceDatasets(repo::RepoContext& repo,
                                             const std::vector<definitions::FeatureRef>& refs) {
  std::set<std::string> sources;
  auto applied = repo.Applied();
  if (!applied.ok()) return {};
  std::function<void(const std::string&)> add_view = [&](const std::string& name) {
    if (const auto* view = (*applied)->FindView(name)) {
      sources.insert(view->source);
    } else if (const auto* on_demand = (*applied)->FindOnDemandView(name)) {
      for (const auto& read : on_demand->sources) add_view(read);
    }
  };
  for (const auto& ref : refs) add_view(ref.view);
  std::vector<lineage::Dataset> out;
  for (const auto& source : sources) out.push_back({repo.project(), "offline/" + source});
  return out;
}

}  // namespace

Result<std::shared_ptr<arrow::Table>> GetHistoricalFeatures(
    repo::RepoContext& repo, const std::shared_ptr<arrow::Table>& entities,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options) {
  auto compute = [&]() -> Result<std::shared_ptr<arrow::Table>> {
    const int64_t chunk = EntityChunkRows(options.memory_limit);
    if (entities->num_rows() <= chunk) {
      return Compute(repo, entities, refs, options, StoredParts(repo, options));
    }
    std::vector<std::shared_ptr<arrow::Table>> outputs;
    for (int64_t at = 0; at < entities->num_rows(); at += chunk) {
      FST_ASSIGN_OR_RAISE(auto output, Compute(repo, entities->Slice(at, chunk), refs, options,
                                               StoredParts(repo, options), at));
      outputs.push_back(std::move(output));
    }
    return arrow::ConcatenateTables(outputs);
  };
  if (options.lineage_job.empty()) return compute();
  lineage::Dataset output{repo.project(), "training_set/" + options.lineage_job};
  lineage::LineageRun run(repo.lineage(), options.lineage_job, SourceDatasets(repo, refs),
                          {output});
  auto table = compute();
  if (!table.ok()) {
    run.Fail(table.status().message());
    return table;
  }
  output.output_facets = lineage::OutputStatistics((*table)->num_rows());
  run.Complete((*table)->num_rows(), {}, {output});
  return table;
}

Result<int64_t> GetHistoricalFeaturesChunked(
    repo::RepoContext& repo, const std::function<Result<std::shared_ptr<arrow::Table>>()>& next,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::function<Status(const std::shared_ptr<arrow::Table>&)>& sink) {
  HistoricalOptions chunk_options = options;
  chunk_options.lineage_job.clear();
  auto compute = [&]() -> Result<int64_t> {
    int64_t rows = 0;
    while (true) {
      FST_ASSIGN_OR_RAISE(auto entities, next());
      if (entities == nullptr) return rows;
      FST_ASSIGN_OR_RAISE(auto table, Compute(repo, entities, refs, chunk_options,
                                              StoredParts(repo, chunk_options), rows));
      FST_RETURN_NOT_OK(sink(table));
      rows += table->num_rows();
    }
  };
  if (options.lineage_job.empty()) return compute();
  lineage::Dataset output{repo.project(), "training_set/" + options.lineage_job};
  lineage::LineageRun run(repo.lineage(), options.lineage_job, SourceDatasets(repo, refs),
                          {output});
  auto rows = compute();
  if (!rows.ok()) {
    run.Fail(rows.status().message());
    return rows;
  }
  output.output_facets = lineage::OutputStatistics(*rows);
  run.Complete(*rows, {}, {output});
  return rows;
}

Result<int64_t> GetHistoricalFeaturesFromFile(
    repo::RepoContext& repo, const std::string& path,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::function<Status(const std::shared_ptr<arrow::Table>&)>& sink) {
  FST_ASSIGN_OR_RAISE(auto schema, EntitySchema(repo, refs, options));
  const int64_t chunk_rows = EntityChunkRows(options.memory_limit);
  connectors::ReadOptions read_options;
  read_options.keep_extra_columns = true;
  read_options.batch_rows = std::min(chunk_rows, read_options.batch_rows);
  FST_ASSIGN_OR_RAISE(auto connector, connectors::OpenFile(path, "", schema, read_options));
  bool first = true;
  // The file's batches gathered into chunks of up to `chunk_rows` rows; the first call gives a
  // chunk even for an empty file, so the output has its columns.
  auto next = [&]() -> Result<std::shared_ptr<arrow::Table>> {
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    int64_t rows = 0;
    while (rows < chunk_rows) {
      FST_ASSIGN_OR_RAISE(connectors::Batch batch, connector->Next());
      if (batch.batch == nullptr) break;
      rows += batch.batch->num_rows();
      batches.push_back(std::move(batch.batch));
    }
    const bool was_first = std::exchange(first, false);
    if (batches.empty()) {
      if (!was_first) return nullptr;
      return connectors::ReadAll(*connector, schema);  // at its end: the empty table
    }
    return arrow::Table::FromRecordBatches(batches.front()->schema(), batches);
  };
  return GetHistoricalFeaturesChunked(repo, next, refs, options, sink);
}

Result<std::vector<HistoricalSource>> HistoricalSources(
    repo::RepoContext& repo, const std::vector<definitions::FeatureRef>& refs) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto on_demand, features::PlanOnDemand(*applied, refs));
  std::vector<HistoricalSource> sources;
  for (const auto& [view, names] : GroupByView(on_demand.reads)) {
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanView(*applied, view, names));
    auto it = std::find_if(sources.begin(), sources.end(),
                           [&](const auto& s) { return s.name == plan.source->name; });
    if (it == sources.end()) {
      HistoricalSource source{plan.source->name, {}, {}};
      FST_ASSIGN_OR_RAISE(auto parts, PartRefs(repo, plan));
      for (const auto& part : parts) source.paths.push_back(part.path);
      sources.push_back(std::move(source));
      it = sources.end() - 1;
    }
    it->join_keys.push_back(plan.join_keys);
  }
  return sources;
}

Result<std::shared_ptr<arrow::Table>> GetHistoricalFeaturesFromRows(
    repo::RepoContext& repo, const std::shared_ptr<arrow::Table>& entities,
    const std::vector<definitions::FeatureRef>& refs, const HistoricalOptions& options,
    const std::map<std::string, std::shared_ptr<arrow::Table>>& rows) {
  FST_RETURN_NOT_OK(core::EnsureArrowCompute());
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  std::map<std::string, offline::PartRef> runs;
  for (const auto& [name, table] : rows) {
    const definitions::Source* source = applied->FindSource(name);
    if (source == nullptr) return Status::KeyError("unknown source '", name, "'");
    if (table->num_rows() == 0) continue;
    FST_ASSIGN_OR_RAISE(runs[name], InMemoryRun(*source, table));
  }
  PartsOf in_memory = [&runs](const features::ViewPlan& plan)
      -> Result<std::vector<offline::PartRef>> {
    auto it = runs.find(plan.source->name);
    if (it == runs.end()) return std::vector<offline::PartRef>{};
    return std::vector<offline::PartRef>{it->second};
  };
  return Compute(repo, entities, refs, options, in_memory);
}

}  // namespace fst::retrieval
