#include "featherstone/feedback/skew.h"

#include <cmath>
#include <cstdio>

#include "featherstone/feedback/reproduce.h"

namespace fst::feedback {

Result<SkewReport> MeasureSkew(repo::RepoContext& repo, const SkewOptions& options) {
  LogFilter filter;
  filter.service = options.service;
  filter.from_us = options.from_us;
  filter.to_us = options.to_us;
  FST_ASSIGN_OR_RAISE(auto requests, ReadLoggedRequests(repo, filter));
  if (options.sample > 0 && static_cast<int64_t>(requests.size()) > options.sample) {
    // Evenly spaced, the first and the last included.
    std::vector<LoggedRequest> sampled;
    const size_t n = requests.size(), k = static_cast<size_t>(options.sample);
    for (size_t i = 0; i < k; ++i) {
      sampled.push_back(std::move(requests[k == 1 ? n - 1 : i * (n - 1) / (k - 1)]));
    }
    requests = std::move(sampled);
  }
  FST_ASSIGN_OR_RAISE(auto checks, CheckServed(repo, requests));

  SkewReport report;
  report.service = options.service;
  report.requests = static_cast<int64_t>(requests.size());
  report.values = checks.values;
  report.differing = static_cast<int64_t>(checks.differing.size());
  std::map<std::string, size_t> index;
  auto feature = [&](const std::string& name) -> FeatureSkew& {
    auto [it, added] = index.emplace(name, report.features.size());
    if (added) {
      report.features.push_back({});
      report.features.back().feature = name;
    }
    return report.features[it->second];
  };
  for (const auto& request : requests) {
    for (const auto& ref : request.features) {
      FeatureSkew& f = feature(ref.ToString());
      f.values += static_cast<int64_t>(request.entities.size());
      f.equal += static_cast<int64_t>(request.entities.size());
    }
  }
  std::vector<int64_t> numeric(report.features.size(), 0);  // mismatched numbers summed
  for (const auto& check : checks.differing) {
    const std::string name = check.request->features[check.feature].ToString();
    const size_t i = index.at(name);
    FeatureSkew& f = report.features[i];
    --f.equal;
    ++f.reasons[SkewReasonName(check.reason)];
    if (check.served.is_null() != check.recomputed.is_null()) {
      ++f.missing;
      continue;
    }
    ++f.mismatched;
    if (check.served.is_number() && check.recomputed.is_number()) {
      const double served = check.served.get<double>(), recomputed = check.recomputed.get<double>();
      const double diff = std::fabs(served - recomputed);
      f.mean_abs_diff += diff;
      f.mean_rel_diff += diff / (recomputed == 0 ? 1.0 : std::fabs(recomputed));
      ++numeric[i];
    }
  }
  for (size_t i = 0; i < report.features.size(); ++i) {
    if (numeric[i] == 0) continue;
    report.features[i].mean_abs_diff /= static_cast<double>(numeric[i]);
    report.features[i].mean_rel_diff /= static_cast<double>(numeric[i]);
  }
  registry::SkewRunRecord run;
  run.service = options.service;
  run.requests = report.requests;
  run.values = report.values;
  run.differing = report.differing;
  run.report_json = SkewJson(report).dump();
  FST_ASSIGN_OR_RAISE(report.run_id, repo.registry().RecordSkewRun(run));
  return report;
}

std::string SkewText(const SkewReport& report) {
  std::string out = "compared " + std::to_string(report.values) + " values of " +
                    std::to_string(report.requests) + " logged response" +
                    (report.requests == 1 ? "" : "s") +
                    (report.service.empty() ? std::string() : " of service '" + report.service + "'") +
                    ": " + std::to_string(report.differing) + " differ\n";
  size_t width = 7;
  for (const auto& f : report.features) width = std::max(width, f.feature.size());
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %8s  %8s  %8s  %12s  %10s  %s\n",
                static_cast<int>(width), "feature", "equal", "mismatch", "missing", "mean |diff|",
                "mean rel", "reasons");
  out += line;
  for (const auto& f : report.features) {
    auto share = [&](int64_t n) {
      char text[32];
      std::snprintf(text, sizeof text, "%.1f%%", 100.0 * static_cast<double>(n) /
                                                     static_cast<double>(std::max<int64_t>(f.values, 1)));
      return std::string(text);
    };
    std::string reasons;
    for (const auto& [name, n] : f.reasons) {
      reasons += (reasons.empty() ? "" : ", ") + name + " " + std::to_string(n);
    }
    std::snprintf(line, sizeof line, "%-*s  %8s  %8s  %8s  %12.6g  %10.6g  %s\n",
                  static_cast<int>(width), f.feature.c_str(), share(f.equal).c_str(),
                  share(f.mismatched).c_str(), share(f.missing).c_str(), f.mean_abs_diff,
                  f.mean_rel_diff, reasons.empty() ? "-" : reasons.c_str());
    out += line;
  }
  out += "recorded as skew run #" + std::to_string(report.run_id) + "\n";
  return out;
}

nlohmann::ordered_json SkewJson(const SkewReport& report) {
  nlohmann::ordered_json out;
  if (report.run_id != 0) out["run_id"] = report.run_id;
  out["service"] =
      report.service.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(report.service);
  out["requests"] = report.requests;
  out["values"] = report.values;
  out["differing"] = report.differing;
  out["features"] = nlohmann::ordered_json::array();
  for (const auto& f : report.features) {
    nlohmann::ordered_json item;
    item["feature"] = f.feature;
    item["values"] = f.values;
    item["equal"] = f.equal;
    item["mismatched"] = f.mismatched;
    item["missing"] = f.missing;
    item["mean_abs_diff"] = f.mean_abs_diff;
    item["mean_rel_diff"] = f.mean_rel_diff;
    item["reasons"] = f.reasons;
    out["features"].push_back(std::move(item));
  }
  return out;
}

}  // namespace fst::feedback
