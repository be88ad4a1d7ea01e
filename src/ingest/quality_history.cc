#include "featherstone/ingest/quality_history.h"

#include <algorithm>
#include <map>


namespace fst::ingest {

Result<std::vector<QualityRun>> QualityHistory(repo::RepoContext& repo, const std::string& source,
                                               int64_t limit,
                                               const quality::DriftOptions& options) {
  if (!source.empty()) FST_RETURN_NOT_OK(repo.AppliedSource(source).status());
  FST_ASSIGN_OR_RAISE(auto records, repo.registry().ListQualityRuns(source, 0));
  std::reverse(records.begin(), records.end());  // oldest first
  std::vector<QualityRun> runs;
  std::map<std::string, nlohmann::json> previous;  // last ingest metrics per source
  for (auto& record : records) {
    QualityRun run;
    const auto result = nlohmann::json::parse(record.result_json, nullptr, false);
    if (result.is_object() && result.contains("statistics")) {
      run.success_percent = result["statistics"].value("success_percent", 100.0);
    }
    if (result.is_object() && result.contains("meta")) {
      run.bad_rows = result["meta"].value("bad_rows", int64_t{0});
    }
    if (record.outcome != "replay") {
      const auto metrics = nlohmann::json::parse(record.metrics_json, nullptr, false);
      if (metrics.is_object()) {
        auto it = previous.find(record.source);
        if (it != previous.end()) run.drift = quality::CompareRuns(it->second, metrics, options);
        previous[record.source] = metrics;
      }
    }
    run.record = std::move(record);
    runs.push_back(std::move(run));
  }
  if (limit > 0 && static_cast<int64_t>(runs.size()) > limit) {
    runs.erase(runs.begin(), runs.end() - limit);
  }
  return runs;
}

}  // namespace fst::ingest
