// One ingest or materialize run as OpenLineage sees it: a START event when constructed, then
// COMPLETE or FAIL, with one runId, kept in the registry (registry.h LineageEventRecord).
// Recording lineage never fails the run it describes: a registry error is only counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "featherstone/lineage/run_event.h"
#include "featherstone/registry/registry.h"

namespace fst::lineage {

// The project of the repo at `dir` (`project:` of featherstone.yaml), the namespace of its
// jobs; "default" when it has none or the file does not parse.
std::string ProjectOf(const std::string& dir);

class LineageRun {
 public:
  // Records START for job `job` of namespace `project`. `registry` must outlive the run.
  LineageRun(registry::Registry& registry, std::string project, std::string job,
             std::vector<Dataset> inputs, std::vector<Dataset> outputs);

  // Records COMPLETE with `rows` written; non-empty `inputs`/`outputs` replace the START ones
  // (e.g. with quality facets). At most one of Complete and Fail is called.
  void Complete(int64_t rows, std::vector<Dataset> inputs = {}, std::vector<Dataset> outputs = {});
  // Records FAIL with `error` as the errorMessage facet.
  void Fail(const std::string& error, std::vector<Dataset> inputs = {});

  const std::string& run_id() const { return event_.run_id; }
  // Events the registry refused.
  int failed() const { return failed_; }

 private:
  void Record(int64_t rows);

  registry::Registry& registry_;
  RunEvent event_;
  int failed_ = 0;
};

}  // namespace fst::lineage
