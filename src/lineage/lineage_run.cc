#include "featherstone/lineage/lineage_run.h"

#include "featherstone/core/time.h"

namespace fst::lineage {

LineageRun::LineageRun(Emitter& emitter, std::string job, std::vector<Dataset> inputs,
                       std::vector<Dataset> outputs)
    : emitter_(emitter) {
  event_.event_type = "START";
  event_.run_id = NewRunId();
  event_.job_namespace = emitter.project();
  event_.job_name = std::move(job);
  event_.inputs = std::move(inputs);
  event_.outputs = std::move(outputs);
  Emit(-1);
}

void LineageRun::Complete(int64_t rows, std::vector<Dataset> inputs, std::vector<Dataset> outputs) {
  event_.event_type = "COMPLETE";
  if (!inputs.empty()) event_.inputs = std::move(inputs);
  if (!outputs.empty()) event_.outputs = std::move(outputs);
  Emit(rows);
}

void LineageRun::Fail(const std::string& error, std::vector<Dataset> inputs) {
  event_.event_type = "FAIL";
  event_.error = error;
  if (!inputs.empty()) event_.inputs = std::move(inputs);
  Emit(-1);
}

void LineageRun::Emit(int64_t rows) {
  event_.event_time = core::NowMicros();
  emitter_.Emit(event_, rows);
}

}  // namespace fst::lineage
