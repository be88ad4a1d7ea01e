#include "featherstone/retrieval/refresh_online.h"

#include <algorithm>
#include <limits>

namespace fst::retrieval {

Result<std::vector<ViewMaterialized>> RefreshOnline(repo::RepoContext& repo,
                                                    const std::string& source) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  std::vector<ViewMaterialized> done;
  std::vector<const definitions::FeatureView*> views;
  for (const auto& view : applied->feature_views) {
    if (view.online && view.source == source) views.push_back(&view);
  }
  if (views.empty()) return done;
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source));
  if (files.empty()) return done;
  int64_t latest = std::numeric_limits<int64_t>::min();
  for (const auto& file : files) latest = std::max(latest, file.max_ts);
  for (const auto* view : views) {
    MaterializeOptions options;
    options.incremental = true;
    options.views = {view->name};
    options.end = latest;
    FST_ASSIGN_OR_RAISE(auto watermark, repo.registry().GetWatermark(view->name));
    if (watermark.has_value()) options.end = std::max(options.end, watermark->end_ts);
    FST_ASSIGN_OR_RAISE(auto materialized, Materialize(repo, options));
    done.insert(done.end(), materialized.begin(), materialized.end());
  }
  return done;
}

}  // namespace fst::retrieval
