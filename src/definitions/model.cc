#include "featherstone/definitions/model.h"

#include <algorithm>

namespace fst::definitions {
namespace {

template <typename T>
const T* FindByName(const std::vector<T>& items, const std::string& name) {
  for (const auto& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

}  // namespace

std::string Location::ToString() const {
  if (line <= 0) return "";
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const Entity* Repo::FindEntity(const std::string& name) const {
  return FindByName(entities, name);
}

const Source* Repo::FindSource(const std::string& name) const {
  return FindByName(sources, name);
}

const FeatureView* Repo::FindView(const std::string& name) const {
  return FindByName(feature_views, name);
}

const OnDemandFeatureView* Repo::FindOnDemandView(const std::string& name) const {
  return FindByName(on_demand_feature_views, name);
}

const FeatureService* Repo::FindService(const std::string& name) const {
  return FindByName(feature_services, name);
}

Result<FeatureRef> ParseFeatureRef(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() ||
      text.find(':', colon + 1) != std::string::npos) {
    return Status::Invalid("feature reference '", text, "' must have the form view:feature");
  }
  return FeatureRef{text.substr(0, colon), text.substr(colon + 1)};
}

std::vector<std::string> JoinKeys(const Repo& repo, const FeatureView& view) {
  std::vector<std::string> keys;
  for (const auto& entity_name : view.entities) {
    const Entity* entity = repo.FindEntity(entity_name);
    if (entity == nullptr) continue;
    for (const auto& key : entity->join_keys) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  return keys;
}

}  // namespace fst::definitions
