#include "featherstone/quality/drift.h"

#include <cmath>
#include <cstdio>

namespace fst::quality {
namespace {

std::string Format(const char* format, double a, double b, double c = 0) {
  char text[160];
  std::snprintf(text, sizeof(text), format, a, b, c);
  return text;
}

bool Number(const nlohmann::json& object, const char* key, double* out) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return false;
  *out = object[key].get<double>();
  return true;
}

}  // namespace

std::vector<DriftWarning> CompareRuns(const nlohmann::json& previous,
                                      const nlohmann::json& current,
                                      const DriftOptions& options) {
  std::vector<DriftWarning> warnings;
  double rows_before = 0, rows_now = 0;
  if (Number(previous, "row_count", &rows_before) && Number(current, "row_count", &rows_now) &&
      rows_before > 0 && rows_now < options.row_collapse * rows_before) {
    warnings.push_back({"", "row_count_collapse",
                        Format("row count %.0f -> %.0f (below %.0f%% of the previous run)",
                               rows_before, rows_now, options.row_collapse * 100)});
  }
  if (!previous.contains("columns") || !current.contains("columns")) return warnings;
  const auto& before_columns = previous["columns"];
  for (const auto& [name, now] : current["columns"].items()) {
    if (!before_columns.contains(name)) continue;
    const auto& before = before_columns[name];
    double rate_before = 0, rate_now = 0;
    if (Number(before, "null_rate", &rate_before) && Number(now, "null_rate", &rate_now) &&
        rate_now - rate_before > options.null_rate_jump) {
      warnings.push_back({name, "null_rate_jump",
                          name + Format(": null rate %.3g%% -> %.3g%%", rate_before * 100,
                                        rate_now * 100)});
    }
    double mean_before = 0, mean_now = 0, stddev_before = 0;
    if (Number(before, "mean", &mean_before) && Number(now, "mean", &mean_now) &&
        Number(before, "stddev", &stddev_before) && stddev_before > 0 &&
        std::abs(mean_now - mean_before) > options.mean_shift_k * stddev_before) {
      warnings.push_back(
          {name, "mean_shift",
           name + Format(": mean %.6g -> %.6g (shift of %.3g previous standard deviations)",
                         mean_before, mean_now,
                         std::abs(mean_now - mean_before) / stddev_before)});
    }
  }
  return warnings;
}

}  // namespace fst::quality
