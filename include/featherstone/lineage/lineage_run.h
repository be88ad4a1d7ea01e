// One run as OpenLineage sees it (docs/lineage.md lists the jobs): a START event when
// constructed, then COMPLETE or FAIL, with one runId, through the repo's Emitter (registry
// and sinks). Recording lineage never fails the run it describes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "featherstone/lineage/emitter.h"
#include "featherstone/lineage/run_event.h"

namespace fst::lineage {

class LineageRun {
 public:
  // Emits START for job `job` in the emitter's project. `emitter` must outlive the run.
  LineageRun(Emitter& emitter, std::string job, std::vector<Dataset> inputs,
             std::vector<Dataset> outputs);

  // Emits COMPLETE with `rows` written; non-empty `inputs`/`outputs` replace the START ones
  // (e.g. with quality facets). At most one of Complete and Fail is called.
  void Complete(int64_t rows, std::vector<Dataset> inputs = {}, std::vector<Dataset> outputs = {});
  // Emits FAIL with `error` as the errorMessage facet.
  void Fail(const std::string& error, std::vector<Dataset> inputs = {});

  const std::string& run_id() const { return event_.run_id; }

 private:
  void Emit(int64_t rows);

  Emitter& emitter_;
  RunEvent event_;
};

}  // namespace fst::lineage
