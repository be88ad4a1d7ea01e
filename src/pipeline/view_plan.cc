#include "view_plan.h"

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>

namespace fst::pipeline {

Result<std::shared_ptr<arrow::Array>> Flatten(const arrow::ChunkedArray& column) {
  if (column.num_chunks() == 1) return column.chunk(0);
  if (column.num_chunks() == 0) return arrow::MakeEmptyArray(column.type());
  return arrow::Concatenate(column.chunks());
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

Result<ViewPlan> PlanView(const definitions::Repo& repo, const std::string& view_name,
                          const std::vector<std::string>& feature_names) {
  ViewPlan plan;
  plan.view = repo.FindView(view_name);
  if (plan.view == nullptr) {
    std::vector<std::string> known;
    for (const auto& v : repo.feature_views) known.push_back(v.name);
    return Status::KeyError("unknown feature view '", view_name, "'; applied views: ",
                            known.empty() ? "(none)" : JoinNames(known));
  }
  plan.source = repo.FindSource(plan.view->source);
  if (plan.source == nullptr) {
    return Status::KeyError("feature view '", view_name, "': source '", plan.view->source,
                            "' is not applied");
  }
  plan.join_keys = definitions::JoinKeys(repo, *plan.view);
  for (const auto& key : plan.join_keys) {
    const core::ColumnSpec* column = core::FindColumn(plan.source->schema, key);
    if (column == nullptr) {
      return Status::Invalid("source '", plan.source->name, "' lacks join key '", key, "'");
    }
    plan.key_types.push_back(column->type);
  }
  std::vector<std::string> wanted = feature_names;
  if (wanted.empty()) {
    for (const auto& f : plan.view->features) wanted.push_back(f.name);
  }
  for (const auto& name : wanted) {
    const definitions::Feature* feature = nullptr;
    for (const auto& f : plan.view->features) {
      if (f.name == name) feature = &f;
    }
    if (feature == nullptr) {
      std::vector<std::string> known;
      for (const auto& f : plan.view->features) known.push_back(f.name);
      return Status::KeyError("feature view '", view_name, "' has no feature '", name,
                              "'; its features: ", JoinNames(known));
    }
    if (feature->kind != definitions::FeatureKind::kPassthrough) {
      return Status::NotImplemented(
          "feature '", view_name, ":", name,
          "' is an expression or aggregation; this version serves column features only");
    }
    const std::string column_name = feature->column.empty() ? feature->name : feature->column;
    const core::ColumnSpec* column = core::FindColumn(plan.source->schema, column_name);
    if (column == nullptr) {
      return Status::Invalid("feature '", view_name, ":", name, "': source '", plan.source->name,
                             "' has no column '", column_name, "'");
    }
    plan.features.push_back(name);
    plan.columns.push_back(column_name);
    plan.column_types.push_back(column->type);
  }
  return plan;
}

Result<std::vector<offline::PartRef>> PartRefs(RepoContext& repo, const ViewPlan& plan) {
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(plan.source->name));
  std::vector<offline::PartRef> refs;
  refs.reserve(files.size());
  for (const auto& file : files) {
    refs.push_back({repo.OfflineRoot() + "/" + file.path, file.min_ts, file.max_ts});
  }
  return refs;
}

offline::PitSpec MakePitSpec(const ViewPlan& plan, const offline::PitWindow& window) {
  offline::PitSpec spec;
  spec.key_columns = plan.join_keys;
  spec.ts_column = plan.source->timestamp_field;
  spec.created_column = plan.source->created_timestamp_field;
  spec.value_columns = plan.columns;
  for (auto type : plan.column_types) spec.value_types.push_back(core::ToArrowType(type));
  spec.window = window;
  return spec;
}

}  // namespace fst::pipeline
