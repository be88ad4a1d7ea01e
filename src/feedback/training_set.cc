#include "featherstone/feedback/training_set.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <arrow/builder.h>
#include <arrow/table.h>

#include "featherstone/core/time.h"
#include "featherstone/feedback/feature_log_reader.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::feedback {
namespace {

constexpr char kAt[] = "__featherstone_lookup_time";
constexpr char kRequestId[] = "request_id";

std::string Columns(const core::Schema& schema) {
  std::string out;
  for (const auto& column : schema) out += (out.empty() ? "" : ", ") + column.name;
  return out;
}

// Every published row of `source`, its declared columns in order.
Result<std::shared_ptr<arrow::Table>> ReadSource(repo::RepoContext& repo,
                                                 const definitions::Source& source) {
  std::vector<std::string> names;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (const auto& column : source.schema) {
    names.push_back(column.name);
    types.push_back(core::ToArrowType(column.type));
    fields.push_back(arrow::field(column.name, types.back()));
  }
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source.name));
  std::vector<std::shared_ptr<arrow::Table>> parts;
  for (const auto& file : files) {
    FST_ASSIGN_OR_RAISE(auto part, offline::ReadPartColumns(
                                       repo.fs(), repo.OfflineRoot() + "/" + file.path, names, types));
    FST_ASSIGN_OR_RAISE(part, part->ReplaceSchemaMetadata(nullptr)->CombineChunks());
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return arrow::Table::MakeEmpty(arrow::schema(fields));
  return arrow::ConcatenateTables(parts);
}

// The JSON text of row `r` of `columns`, one string per row: equal keys, equal text.
Result<std::vector<std::string>> KeyText(const std::vector<std::shared_ptr<arrow::ChunkedArray>>& columns,
                                         int64_t rows) {
  std::vector<std::string> out(static_cast<size_t>(rows));
  for (const auto& chunked : columns) {
    FST_ASSIGN_OR_RAISE(auto column, features::Flatten(*chunked));
    for (int64_t r = 0; r < rows; ++r) {
      out[static_cast<size_t>(r)] += retrieval::ToJson(*column, r).dump() + '\x1f';
    }
  }
  return out;
}

}  // namespace

Result<LabelJoin> ParseLabelJoin(const std::string& text) {
  if (text == "request_id") return LabelJoin::kRequestId;
  if (text == "keys") return LabelJoin::kKeys;
  if (text == "auto") return LabelJoin::kAuto;
  return Status::Invalid("join '", text, "': expected request_id, keys or auto");
}

namespace {

Result<TrainingSet> Join(repo::RepoContext& repo, const TrainingSetOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_RETURN_NOT_OK(retrieval::ResolveFeatures(*applied, "", options.service).status());
  FST_ASSIGN_OR_RAISE(const definitions::Source* labels, repo.AppliedSource(options.labels));

  LogFilter filter;
  filter.service = options.service;
  filter.from_us = options.from_us;
  filter.to_us = options.to_us;
  FST_ASSIGN_OR_RAISE(auto requests, ReadLoggedRequests(repo, filter));
  auto list = [](const LoggedRequest& r) {
    std::string out;
    for (const auto& ref : r.features) out += (out.empty() ? "" : ",") + ref.ToString();
    return out;
  };
  const std::string first_list = list(requests.front());
  std::vector<const LoggedRequest*> selected;
  for (const auto& request : requests) {
    if (list(request) != first_list) {
      return Status::Invalid(
          "the log of service '", options.service, "' holds responses of two feature lists: [",
          first_list, "] (", requests.front().where, ") and [", list(request), "] (",
          request.where, "); choose --from/--to within one version of the service");
    }
    selected.push_back(&request);
  }
  const auto& refs = requests.front().features;
  const LoggedRows rows = Explode(selected);
  FST_ASSIGN_OR_RAISE(auto entities, EntityRows(repo, rows, refs, kAt));

  // The join: which keys, which outcome columns.
  std::vector<std::string> keys;
  for (const auto& [key, value] : requests.front().entities.front().items()) keys.push_back(key);
  for (const auto& key : keys) {
    if (core::FindColumn(labels->schema, key) == nullptr) {
      return Status::Invalid("labels source '", labels->name, "' has no column '", key,
                             "' (a join key of service '", options.service,
                             "'); its columns: ", Columns(labels->schema));
    }
  }
  const bool has_request_id = core::FindColumn(labels->schema, kRequestId) != nullptr;
  LabelJoin join = options.join;
  if (join == LabelJoin::kAuto) join = has_request_id ? LabelJoin::kRequestId : LabelJoin::kKeys;
  if (join == LabelJoin::kRequestId && !has_request_id) {
    return Status::Invalid("labels source '", labels->name, "' has no column 'request_id' to "
                           "join by request id; its columns: ", Columns(labels->schema),
                           "; join by keys with a horizon instead (--join keys --horizon 30d)");
  }
  if (join == LabelJoin::kKeys && options.horizon_us <= 0) {
    return Status::Invalid("joining outcomes by keys needs a horizon: how long after serving an "
                           "outcome still belongs to the request (e.g. --horizon 30d)");
  }

  // Outcomes indexed by (request id when joining by it, keys), each list by outcome time.
  FST_ASSIGN_OR_RAISE(auto outcomes, ReadSource(repo, *labels));
  std::vector<std::shared_ptr<arrow::ChunkedArray>> outcome_keys, served_keys;
  for (const auto& key : keys) {
    outcome_keys.push_back(outcomes->GetColumnByName(key));
    served_keys.push_back(entities->GetColumnByName(key));
  }
  if (join == LabelJoin::kRequestId) outcome_keys.push_back(outcomes->GetColumnByName(kRequestId));
  FST_ASSIGN_OR_RAISE(auto outcome_key_text, KeyText(outcome_keys, outcomes->num_rows()));
  FST_ASSIGN_OR_RAISE(auto served_key_text, KeyText(served_keys, entities->num_rows()));
  FST_ASSIGN_OR_RAISE(auto outcome_ts_array,
                      features::Flatten(*outcomes->GetColumnByName(labels->timestamp_field)));
  const auto& outcome_ts = static_cast<const arrow::TimestampArray&>(*outcome_ts_array);
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> index;  // -> (ts, row)
  for (int64_t r = 0; r < outcomes->num_rows(); ++r) {
    if (outcome_ts.IsNull(r)) continue;
    index[outcome_key_text[static_cast<size_t>(r)]].push_back({outcome_ts.Value(r), r});
  }
  for (auto& [key, list] : index) std::stable_sort(list.begin(), list.end());

  std::vector<int64_t> served_rows, outcome_rows;
  for (size_t r = 0; r < rows.size(); ++r) {
    const LoggedRequest& request = *rows.request[r];
    std::string key = served_key_text[r];
    if (join == LabelJoin::kRequestId) key += nlohmann::json(request.request_id).dump() + '\x1f';
    auto it = index.find(key);
    if (it == index.end()) continue;
    const auto& list = it->second;
    auto first = std::lower_bound(list.begin(), list.end(),
                                  std::make_pair(request.served_at_us, int64_t{-1}));
    if (first == list.end()) continue;
    if (options.horizon_us > 0 && first->first - request.served_at_us > options.horizon_us) continue;
    served_rows.push_back(static_cast<int64_t>(r));
    outcome_rows.push_back(first->second);
  }

  // The output: request_id, served_at, keys, features, outcome columns.
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  std::map<std::string, std::string> producer;
  auto add = [&](const std::string& name, std::shared_ptr<arrow::Array> column,
                 const std::string& what) -> Status {
    auto [it, added] = producer.emplace(name, what);
    if (!added) {
      return Status::Invalid("output column '", name, "' is produced by both ", it->second,
                             " and ", what);
    }
    fields.push_back(arrow::field(name, column->type()));
    columns.push_back(std::move(column));
    return Status::OK();
  };
  arrow::StringBuilder ids;
  arrow::TimestampBuilder served_at(core::ToArrowType(core::ValueType::kTimestamp),
                                    arrow::default_memory_pool());
  for (int64_t r : served_rows) {
    FST_RETURN_NOT_OK(ids.Append(rows.request[static_cast<size_t>(r)]->request_id));
    FST_RETURN_NOT_OK(served_at.Append(rows.request[static_cast<size_t>(r)]->served_at_us));
  }
  FST_ASSIGN_OR_RAISE(auto id_column, ids.Finish());
  FST_RETURN_NOT_OK(add(kRequestId, id_column, "the request id"));
  FST_ASSIGN_OR_RAISE(auto served_column, served_at.Finish());
  FST_RETURN_NOT_OK(add("served_at", served_column, "the serving time"));
  auto take = [](const std::shared_ptr<arrow::ChunkedArray>& column,
                 const std::vector<int64_t>& at) -> Result<std::shared_ptr<arrow::Array>> {
    FST_ASSIGN_OR_RAISE(auto flat, features::Flatten(*column));
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), flat->type(), &builder));
    for (int64_t r : at) FST_RETURN_NOT_OK(builder->AppendArraySlice(*flat->data(), r, 1));
    return builder->Finish();
  };
  for (size_t k = 0; k < keys.size(); ++k) {
    FST_ASSIGN_OR_RAISE(auto column, take(served_keys[k], served_rows));
    FST_RETURN_NOT_OK(add(keys[k], column, "the join key '" + keys[k] + "'"));
  }

  const auto& names = requests.front().feature_names;
  std::shared_ptr<arrow::Table> values;
  if (options.recompute) {
    retrieval::HistoricalOptions historical;
    historical.timestamp_column = kAt;
    historical.full_feature_names = true;
    historical.lineage_job.clear();  // part of this run
    FST_ASSIGN_OR_RAISE(auto computed,
                        retrieval::GetHistoricalFeatures(repo, entities, refs, historical));
    std::vector<std::shared_ptr<arrow::Field>> value_fields;
    std::vector<std::shared_ptr<arrow::ChunkedArray>> value_columns;
    for (size_t f = 0; f < refs.size(); ++f) {
      auto column = computed->GetColumnByName(refs[f].view + "__" + refs[f].feature);
      value_fields.push_back(arrow::field(names[f], column->type()));
      value_columns.push_back(column);
    }
    values = arrow::Table::Make(arrow::schema(value_fields), value_columns, computed->num_rows());
  } else {
    FST_ASSIGN_OR_RAISE(values, ServedValues(repo, rows, refs, names));
  }
  for (size_t f = 0; f < refs.size(); ++f) {
    FST_ASSIGN_OR_RAISE(auto column, take(values->column(static_cast<int>(f)), served_rows));
    FST_RETURN_NOT_OK(add(names[f], column, "feature '" + refs[f].ToString() + "'"));
  }
  for (const auto& spec : labels->schema) {
    if (std::find(keys.begin(), keys.end(), spec.name) != keys.end()) continue;
    if (spec.name == kRequestId) continue;
    FST_ASSIGN_OR_RAISE(auto column, take(outcomes->GetColumnByName(spec.name), outcome_rows));
    FST_RETURN_NOT_OK(add(spec.name, column,
                          "column '" + spec.name + "' of labels source '" + labels->name + "'"));
  }
  TrainingSet out;
  out.table = arrow::Table::Make(arrow::schema(fields), columns,
                                 static_cast<int64_t>(served_rows.size()));
  out.served_rows = static_cast<int64_t>(rows.size());
  out.join = join == LabelJoin::kRequestId ? "request_id" : "keys";
  return out;
}

}  // namespace

// An OpenLineage run "training_set.SERVICE" (docs/lineage.md): the service's logged requests
// and the outcome source's offline data -> the training set.
Result<TrainingSet> GetTrainingSet(repo::RepoContext& repo, const TrainingSetOptions& options) {
  const std::string& project = repo.project();
  lineage::Dataset output{project, "training_set/" + options.service};
  lineage::LineageRun run(repo.lineage(), "training_set." + options.service,
                          {{project, "log/" + options.service},
                           {project, "offline/" + options.labels}},
                          {output});
  auto set = Join(repo, options);
  if (!set.ok()) {
    run.Fail(set.status().message());
    return set;
  }
  output.output_facets = lineage::OutputStatistics(set->table->num_rows());
  run.Complete(set->table->num_rows(), {}, {output});
  return set;
}

}  // namespace fst::feedback
