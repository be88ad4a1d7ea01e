#include "featherstone/ingest/quality_history.h"

#include <algorithm>
#include <map>

#include "featherstone/core/time.h"

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

nlohmann::ordered_json QualityHistoryJson(const std::vector<QualityRun>& runs) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& run : runs) {
    nlohmann::ordered_json drift = nlohmann::ordered_json::array();
    for (const auto& d : run.drift) {
      drift.push_back({{"column", d.column}, {"kind", d.kind}, {"message", d.message}});
    }
    const auto& r = run.record;
    out.push_back({{"run", r.id},
                   {"source", r.source},
                   {"time", core::FormatTimestamp(r.run_at)},
                   {"ingest", r.ingest_id},
                   {"input", r.input},
                   {"outcome", r.outcome},
                   {"rows", r.rows},
                   {"written", r.written},
                   {"bad", run.bad_rows},
                   {"quarantined", r.quarantined},
                   {"success", r.success},
                   {"success_percent", run.success_percent},
                   {"drift", std::move(drift)},
                   {"result", nlohmann::ordered_json::parse(r.result_json, nullptr, false)},
                   {"metrics", nlohmann::ordered_json::parse(r.metrics_json, nullptr, false)}});
  }
  return out;
}

std::vector<BreakerTransition> BreakerTransitions(const std::vector<QualityRun>& runs,
                                                  const quality::BreakerRecord& current) {
  std::vector<BreakerTransition> out;
  bool open = false;
  for (const auto& run : runs) {
    const auto& r = run.record;
    if (r.outcome == "replay") continue;
    if (r.outcome == "breaker_opened") {
      out.push_back({r.run_at, "OPEN", "run #" + std::to_string(r.id) + " (" + r.input + ")"});
      open = true;
    } else if (open) {
      out.push_back(
          {r.run_at, "CLOSED", "probe run #" + std::to_string(r.id) + " (" + r.input + ") passed"});
      open = false;
    }
  }
  const bool stored_open = current.state != quality::BreakerState::kClosed;
  if (open && !stored_open && current.changed_at > 0) {
    out.push_back({current.changed_at, "CLOSED", current.reason});
  } else if (!open && stored_open) {
    out.push_back({current.opened_at, "OPEN", current.reason});
  }
  return out;
}

}  // namespace fst::ingest
