// Retraining sets from what was actually served (DESIGN section 6): the logged feature vectors
// of a feature service joined with outcomes (labels), a source like any other.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <arrow/table.h>

#include "featherstone/repo/repo_context.h"

namespace fst::feedback {

enum class LabelJoin {
  kAuto,       // by request id when the labels source has a request_id column, else by keys
  kRequestId,  // an outcome names the request (and carries the entity's join keys)
  kKeys,       // the first outcome of the entity within the horizon after serving
};

// "request_id", "keys" or "auto". Errors: Invalid naming the text and the accepted values.
Result<LabelJoin> ParseLabelJoin(const std::string& text);

struct TrainingSetOptions {
  std::string service;  // the feature service whose logged responses are used
  std::string labels;   // the outcome source
  int64_t from_us = std::numeric_limits<int64_t>::min();  // served_at in [from, to]
  int64_t to_us = std::numeric_limits<int64_t>::max();
  LabelJoin join = LabelJoin::kAuto;
  int64_t horizon_us = 0;  // > 0: an outcome joins only within this long after serving;
                           // required by the keys join
  bool recompute = false;  // features recomputed from the offline store at the lookup time
};

struct TrainingSet {
  // request_id, served_at, the join keys, the features (named as served), then the outcome
  // source's other columns by their own names; one row per served entity that found an outcome.
  std::shared_ptr<arrow::Table> table;
  int64_t served_rows = 0;  // logged (request, entity) rows in range
  std::string join;         // "request_id" or "keys"
};

// Joins the logged responses of `options.service` with the outcomes of `options.labels`. An
// outcome never joins a request served after it (no label leakage): each served row takes the
// earliest outcome at or after its serving time (within the horizon) with the same join keys —
// and, joining by request id, the same request id. Rows without an outcome are left out.
// The log of the range and the outcome source are held in memory.
// Errors: KeyError for an unknown service or source; Invalid when the labels source lacks a join
// key or request_id (naming its columns), the keys join has no horizon, the range holds no
// logged request (naming the log folder) or responses of two feature lists (naming both), or
// an outcome column has the name of an output column.
Result<TrainingSet> GetTrainingSet(repo::RepoContext& repo, const TrainingSetOptions& options);

}  // namespace fst::feedback
