#include "featherstone/pipeline/online_lookup.h"

#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/datum.h>

#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"
#include "json_value.h"
#include "on_demand.h"
#include "online_plan.h"
#include "view_plan.h"

namespace fst::pipeline {
namespace {

// The text of join key `name` in `entity`, or nullptr.
const std::string* KeyText(const EntityKeyText& entity, const std::string& name) {
  for (const auto& [key, value] : entity) {
    if (key == name) return &value;
  }
  return nullptr;
}

nlohmann::ordered_json TypedKey(const std::string& text, core::ValueType type) {
  if (type == core::ValueType::kInt64 || type == core::ValueType::kInt32) {
    return std::stoll(text);  // validated by EncodeKeyText
  }
  return text;
}

// The view's features for every entity at time `at` from the stored rows (nullopt = absent):
// decodes the latest-row values (nulls when older than the ttl) and the stored events, then
// runs the same aggregation and expression code as training sets.
Result<std::vector<std::shared_ptr<arrow::Array>>> ComputeFromStored(
    const ViewPlan& plan, const std::vector<std::optional<std::string>>& rows, int64_t at) {
  const int64_t n = static_cast<int64_t>(rows.size());
  FST_ASSIGN_OR_RAISE(auto latest_decoder, online::RowDecoder::Make(plan.latest_types));
  FST_ASSIGN_OR_RAISE(auto event_decoder, online::RowDecoder::Make(plan.agg_types));
  std::vector<transform::QueryGroup> groups;
  int64_t events = 0;
  for (int64_t e = 0; e < n; ++e) {
    if (!rows[static_cast<size_t>(e)].has_value()) {
      FST_RETURN_NOT_OK(latest_decoder.AppendNull());
      continue;
    }
    std::string_view in = *rows[static_cast<size_t>(e)];
    FST_RETURN_NOT_OK(latest_decoder.Append(&in));
    if (plan.aggregations.empty()) continue;
    FST_ASSIGN_OR_RAISE(auto count, online::DecodeRowCount(&in));
    for (uint64_t k = 0; k < count; ++k) FST_RETURN_NOT_OK(event_decoder.Append(&in));
    groups.push_back({events, events + static_cast<int64_t>(count), e, e + 1});
    events += static_cast<int64_t>(count);
  }
  std::vector<int64_t> latest_ts;
  FST_ASSIGN_OR_RAISE(auto latest, latest_decoder.Finish(&latest_ts));
  // Latest-row values older than the ttl at `at` read as null.
  arrow::Int64Builder keep;
  for (int64_t e = 0; e < n; ++e) {
    const bool fresh = rows[static_cast<size_t>(e)].has_value() &&
                       (plan.view->ttl_us == 0 || latest_ts[static_cast<size_t>(e)] >= at - plan.view->ttl_us);
    FST_RETURN_NOT_OK(fresh ? keep.Append(e) : keep.AppendNull());
  }
  std::shared_ptr<arrow::Array> keep_array;
  FST_RETURN_NOT_OK(keep.Finish(&keep_array));
  for (auto& column : latest) {
    FST_ASSIGN_OR_RAISE(auto datum, arrow::compute::Take(arrow::Datum(column), arrow::Datum(keep_array)));
    column = datum.make_array();
  }
  std::vector<std::shared_ptr<arrow::Array>> aggregated;
  const std::vector<int64_t> times(static_cast<size_t>(n), at);
  if (!plan.aggregations.empty()) {
    std::vector<int64_t> event_ts;
    FST_ASSIGN_OR_RAISE(auto columns, event_decoder.Finish(&event_ts));
    transform::Events stored{event_ts.data(), static_cast<int64_t>(event_ts.size()), columns};
    std::vector<transform::AggRequest> requests;
    for (const auto& agg : plan.aggregations) requests.push_back(agg.request);
    FST_ASSIGN_OR_RAISE(aggregated,
                        transform::AggregateWindows(stored, groups, times.data(), n, requests));
  }
  return ComputeOutputs(plan, latest, aggregated, times);
}

}  // namespace

Result<nlohmann::ordered_json> GetOnlineFeatures(RepoContext& repo,
                                                 const std::vector<definitions::FeatureRef>& refs,
                                                 const std::vector<EntityKeyText>& entities,
                                                 int64_t at, bool full_feature_names,
                                                 const std::vector<EntityKeyText>& requests) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto on_demand, PlanOnDemand(*applied, refs));
  FST_ASSIGN_OR_RAISE(auto request, RequestFromText(on_demand, requests, entities.size()));
  // Stored features only: computed entity by entity (GetOnlineRows).
  if (on_demand.features.empty()) {
    FST_ASSIGN_OR_RAISE(auto rows, GetOnlineRows(repo, refs, entities, at, full_feature_names));
    return ToJson(rows);
  }
  FST_ASSIGN_OR_RAISE(online::OnlineStore * store, repo.Online());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t e = 0; e < entities.size(); ++e) out.push_back(nlohmann::ordered_json::object());

  // Views in order of first mention, each read once for all entities.
  std::vector<std::string> views;
  for (const auto& ref : on_demand.reads) {
    if (std::find(views.begin(), views.end(), ref.view) == views.end()) views.push_back(ref.view);
  }
  std::vector<std::string> all_keys;
  std::map<std::string, std::shared_ptr<arrow::Array>> stored;  // inputs of on-demand features
  for (const auto& view_name : views) {
    // The stored layout follows the plan of all the view's features.
    FST_ASSIGN_OR_RAISE(auto plan, PlanView(*applied, view_name, {}));
    if (!plan.view->online) {
      return Status::Invalid("feature view '", view_name, "' is not online (online: false)");
    }
    for (const auto& key : plan.join_keys) {
      if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end()) all_keys.push_back(key);
    }
    std::vector<std::string> encoded;
    for (size_t e = 0; e < entities.size(); ++e) {
      std::vector<std::string> texts;
      for (size_t k = 0; k < plan.join_keys.size(); ++k) {
        const std::string* text = KeyText(entities[e], plan.join_keys[k]);
        if (text == nullptr) {
          return Status::Invalid("entity ", e + 1, " lacks join key '", plan.join_keys[k],
                                 "' of feature view '", view_name, "'");
        }
        texts.push_back(*text);
      }
      FST_ASSIGN_OR_RAISE(auto key, online::EncodeKeyText(plan.join_keys, plan.key_types, texts));
      for (size_t k = 0; k < plan.join_keys.size(); ++k) {
        out[e][plan.join_keys[k]] = TypedKey(texts[k], plan.key_types[k]);
      }
      encoded.push_back(std::move(key));
    }
    FST_ASSIGN_OR_RAISE(auto rows, store->Read(view_name, encoded));
    FST_ASSIGN_OR_RAISE(auto values, ComputeFromStored(plan, rows, at));
    for (const auto& ref : on_demand.reads) {
      if (ref.view != view_name) continue;
      const std::string name = full_feature_names ? ref.view + "__" + ref.feature : ref.feature;
      const auto it = std::find(plan.features.begin(), plan.features.end(), ref.feature);
      const auto& column = *values[static_cast<size_t>(it - plan.features.begin())];
      stored[QualifiedName(ref)] = values[static_cast<size_t>(it - plan.features.begin())];
      if (!HasRef(refs, ref)) continue;
      for (size_t e = 0; e < entities.size(); ++e) {
        out[e][name] = ArrayValueToJson(column, static_cast<int64_t>(e));
      }
    }
  }
  FST_RETURN_NOT_OK(AddOnDemandJson(on_demand, refs, stored, request, at, full_feature_names, &out));
  FST_RETURN_NOT_OK(CheckEntityKeys(entities, all_keys));
  return out;
}

}  // namespace fst::pipeline
