// Offline -> online: the latest row per entity of every online view, computed by the same
// point-in-time join as training sets (entity rows = every key, at the end time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "featherstone/repo/repo_context.h"

namespace fst::retrieval {

struct MaterializeOptions {
  std::optional<int64_t> start;  // inclusive; none = unbounded
  int64_t end = 0;               // inclusive
  // From the last watermark: only keys with rows ingested since, or with event times after
  // the previous end, are recomputed (exactly, over all rows up to `end`).
  bool incremental = false;
  std::vector<std::string> views;  // empty = every online view
};

struct ViewMaterialized {
  std::string view;
  int64_t keys_written = 0;
};

// Errors: KeyError for an unknown or offline-only view; IOError from the stores.
Result<std::vector<ViewMaterialized>> Materialize(repo::RepoContext& repo,
                                                  const MaterializeOptions& options);

}  // namespace fst::retrieval
