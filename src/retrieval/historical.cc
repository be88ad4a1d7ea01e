#include "featherstone/retrieval/historical.h"

#include <functional>
#include <map>
#include <set>

#include <arrow/api.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/features/on_demand.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/lineage/lineage_run.h"
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

Result<std::shared_ptr<arrow::Table>> Compute(repo::RepoContext& repo,
                                              const std::shared_ptr<arrow::Table>& entities,
                                              const std::vector<definitions::FeatureRef>& refs,
                                              const HistoricalOptions& options) {
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
      return Status::Invalid("entity row ", i + 1, ", column '", options.timestamp_column,
                             "': timestamp is empty");
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
    FST_ASSIGN_OR_RAISE(auto files, PartRefs(repo, plan, options.known_at_us));
    FST_ASSIGN_OR_RAISE(auto values, ComputeView(plan, files, keys, entity_ts, repo.threads()));
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
  if (options.lineage_job.empty()) return Compute(repo, entities, refs, options);
  lineage::Dataset output{repo.project(), "training_set/" + options.lineage_job};
  lineage::LineageRun run(repo.lineage(), options.lineage_job, SourceDatasets(repo, refs),
                          {output});
  auto table = Compute(repo, entities, refs, options);
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
      FST_ASSIGN_OR_RAISE(auto table, Compute(repo, entities, refs, chunk_options));
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

}  // namespace fst::retrieval
