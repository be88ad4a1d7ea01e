#include "featherstone/pipeline/online_lookup.h"

#include "featherstone/online/key_codec.h"
#include "featherstone/online/row_codec.h"
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

}  // namespace

Result<nlohmann::ordered_json> GetOnlineFeatures(RepoContext& repo,
                                         const std::vector<definitions::FeatureRef>& refs,
                                         const std::vector<EntityKeyText>& entities, int64_t at,
                                         bool full_feature_names) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(online::OnlineStore * store, repo.Online());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t e = 0; e < entities.size(); ++e) out.push_back(nlohmann::ordered_json::object());

  // Views in order of first mention, each read once for all entities.
  std::vector<std::string> views;
  for (const auto& ref : refs) {
    if (std::find(views.begin(), views.end(), ref.view) == views.end()) views.push_back(ref.view);
  }
  std::vector<std::string> all_keys;
  for (const auto& view_name : views) {
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
        out[e][plan.join_keys[k]] = TypedKey(*text, plan.key_types[k]);
      }
      FST_ASSIGN_OR_RAISE(auto key, online::EncodeKeyText(plan.join_keys, plan.key_types, texts));
      encoded.push_back(std::move(key));
    }
    FST_ASSIGN_OR_RAISE(auto rows, store->Read(view_name, encoded));
    for (size_t e = 0; e < entities.size(); ++e) {
      online::DecodedRow row;
      bool fresh = false;
      if (rows[e].has_value()) {
        FST_ASSIGN_OR_RAISE(row, online::DecodeRow(*rows[e], plan.column_types));
        fresh = plan.view->ttl_us == 0 || row.event_ts >= at - plan.view->ttl_us;
      }
      for (const auto& ref : refs) {
        if (ref.view != view_name) continue;
        const std::string name = full_feature_names ? ref.view + "__" + ref.feature : ref.feature;
        const auto it = std::find(plan.features.begin(), plan.features.end(), ref.feature);
        const size_t c = static_cast<size_t>(it - plan.features.begin());
        out[e][name] = fresh ? nlohmann::ordered_json(row.values[c]) : nlohmann::ordered_json();
      }
    }
  }
  for (size_t e = 0; e < entities.size(); ++e) {
    for (const auto& [key, value] : entities[e]) {
      if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end()) {
        return Status::Invalid("entity ", e + 1, ": '", key,
                               "' is not a join key of the requested views (join keys: ",
                               JoinNames(all_keys), ")");
      }
    }
  }
  return out;
}

}  // namespace fst::pipeline
