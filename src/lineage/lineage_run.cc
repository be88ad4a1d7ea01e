#include "featherstone/lineage/lineage_run.h"

#include "featherstone/core/time.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::lineage {

std::string ProjectOf(const std::string& dir) {
  auto settings = definitions::LoadSettings(dir);
  if (!settings.ok() || settings->project.empty()) return "default";
  return settings->project;
}

LineageRun::LineageRun(registry::Registry& registry, std::string project, std::string job,
                       std::vector<Dataset> inputs, std::vector<Dataset> outputs)
    : registry_(registry) {
  event_.event_type = "START";
  event_.run_id = NewRunId();
  event_.job_namespace = std::move(project);
  event_.job_name = std::move(job);
  event_.inputs = std::move(inputs);
  event_.outputs = std::move(outputs);
  Record(-1);
}

void LineageRun::Complete(int64_t rows, std::vector<Dataset> inputs, std::vector<Dataset> outputs) {
  event_.event_type = "COMPLETE";
  if (!inputs.empty()) event_.inputs = std::move(inputs);
  if (!outputs.empty()) event_.outputs = std::move(outputs);
  Record(rows);
}

void LineageRun::Fail(const std::string& error, std::vector<Dataset> inputs) {
  event_.event_type = "FAIL";
  event_.error = error;
  if (!inputs.empty()) event_.inputs = std::move(inputs);
  Record(-1);
}

void LineageRun::Record(int64_t rows) {
  event_.event_time = core::NowMicros();
  registry::LineageEventRecord record;
  record.run_id = event_.run_id;
  record.job = event_.job_name;
  record.event_type = event_.event_type;
  record.event_time = event_.event_time;
  record.rows = rows;
  record.error = event_.error;
  record.event_json =
      ToJson(event_).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (!registry_.RecordLineageEvent(record).ok()) ++failed_;
}

}  // namespace fst::lineage
