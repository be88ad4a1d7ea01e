#include "featherstone/feedback/reproduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "featherstone/core/time.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/features/on_demand.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/retrieval/online_json.h"
#include "featherstone/serving/feature_log.h"

namespace fst::feedback {
namespace {

using json = nlohmann::json;
using definitions::FeatureRef;

// The lookup-time column of the entity rows built from the log; no user column is named so.
constexpr char kAt[] = "__featherstone_lookup_time";

// The recomputed values of `rows` (all of feature list `refs`), one column per ref.
// `known_at` > 0: from the ingests published by then only.
Result<std::vector<std::shared_ptr<arrow::Array>>> Recompute(repo::RepoContext& repo,
                                                             const LoggedRows& rows,
                                                             const std::vector<FeatureRef>& refs,
                                                             int64_t known_at) {
  FST_ASSIGN_OR_RAISE(auto entities, EntityRows(repo, rows, refs, kAt));
  retrieval::HistoricalOptions options;
  options.timestamp_column = kAt;
  options.full_feature_names = true;
  options.known_at_us = known_at;
  options.lineage_job.clear();  // a check of served values, not a training set
  FST_ASSIGN_OR_RAISE(auto table, retrieval::GetHistoricalFeatures(repo, entities, refs, options));
  std::vector<std::shared_ptr<arrow::Array>> out;
  for (const auto& ref : refs) {
    auto column = table->GetColumnByName(ref.view + "__" + ref.feature);
    if (column == nullptr) return Status::Invalid("no column for feature '", ref.ToString(), "'");
    FST_ASSIGN_OR_RAISE(out.emplace_back(), features::Flatten(*column));
  }
  return out;
}

// What the features of a response depend on: for each feature, the stored views behind it.
Result<std::vector<std::vector<std::string>>> ViewsBehind(const definitions::Repo& applied,
                                                          const std::vector<FeatureRef>& refs) {
  std::vector<std::vector<std::string>> out;
  for (const auto& ref : refs) {
    if (applied.FindOnDemandView(ref.view) == nullptr) {
      out.push_back({ref.view});
      continue;
    }
    FST_ASSIGN_OR_RAISE(auto plan, features::PlanOnDemand(applied, {ref}));
    std::vector<std::string> views;
    for (const auto& read : plan.reads) {
      if (std::find(views.begin(), views.end(), read.view) == views.end()) views.push_back(read.view);
    }
    out.push_back(std::move(views));
  }
  return out;
}

// Served and recomputed values agree: equal, or numbers within 1e-9 relative (a window's sum
// is accumulated in another order online than in the training-set join).
bool SameNumber(double x, double y) {
  return x == y || std::fabs(x - y) <= 1e-9 * std::max(1.0, std::fabs(y));
}

bool SameValue(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return SameNumber(a.get<double>(), b.get<double>());
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameValue(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// SameValue against row `i` of a recomputed column, without building its JSON for the common
// types (the skew report compares millions of values).
bool SameAsCell(const json& served, const arrow::Array& column, int64_t i) {
  if (column.IsNull(i)) return served.is_null();
  switch (column.type_id()) {
    case arrow::Type::INT64:
      return served.is_number_integer()
                 ? served.get<int64_t>() == static_cast<const arrow::Int64Array&>(column).Value(i)
                 : served.is_number() &&
                       SameNumber(served.get<double>(),
                                  static_cast<double>(
                                      static_cast<const arrow::Int64Array&>(column).Value(i)));
    case arrow::Type::DOUBLE:
      return served.is_number() &&
             SameNumber(served.get<double>(),
                        static_cast<const arrow::DoubleArray&>(column).Value(i));
    case arrow::Type::STRING:
      return served.is_string() &&
             served.get_ref<const std::string&>() ==
                 static_cast<const arrow::StringArray&>(column).GetView(i);
    case arrow::Type::BOOL:
      return served.is_boolean() &&
             served.get<bool>() == static_cast<const arrow::BooleanArray&>(column).Value(i);
    default:
      return SameValue(served, json(retrieval::ToJson(column, i)));
  }
}

std::string Short(const std::string& hash) { return hash.substr(0, 12); }

class Explainer {
 public:
  Explainer(repo::RepoContext& repo, const definitions::Repo& applied) : repo_(repo), applied_(applied) {}

  Status Load() {
    FST_ASSIGN_OR_RAISE(auto records, repo_.registry().List());
    for (const auto& record : records) {
      current_[record.object.kind + "/" + record.object.name] = record;
    }
    return Status::OK();
  }

  const std::map<std::string, registry::ObjectRecord>& current() const { return current_; }

  // late_data evidence: the ingests of the views' sources published after the request that
  // hold events at or before its lookup time.
  Result<std::string> LateIngests(const LoggedRequest& request,
                                  const std::vector<std::string>& views) {
    std::string out;
    for (const auto& view_name : views) {
      const auto* view = applied_.FindView(view_name);
      if (view == nullptr) continue;
      FST_ASSIGN_OR_RAISE(auto files, repo_.registry().ListFiles(view->source));
      FST_ASSIGN_OR_RAISE(auto ingests, repo_.registry().ListIngests(view->source));
      for (auto it = ingests.rbegin(); it != ingests.rend(); ++it) {
        if (it->published_at <= request.served_at_us) continue;
        int64_t min_ts = std::numeric_limits<int64_t>::max();
        for (const auto& file : files) {
          for (const auto& span : registry::IngestSpans(file)) {
            if (span.ingest_id == it->id) min_ts = std::min(min_ts, span.min_ts);
          }
        }
        if (min_ts > request.at_us) continue;
        if (!out.empty()) out += "; ";
        out += "ingest #" + std::to_string(it->id) + " of source '" + view->source + "' (" +
               it->input + ") published " + core::FormatTimestamp(it->published_at) +
               ", after the request, holds events from " + core::FormatTimestamp(min_ts);
      }
    }
    return out;
  }

  // stale_online evidence: a view whose watermark when the request was served was before the
  // lookup time while the offline store already held events of the gap.
  Result<std::string> StaleViews(const LoggedRequest& request,
                                 const std::vector<std::string>& views) {
    for (const auto& view_name : views) {
      const auto* view = applied_.FindView(view_name);
      if (view == nullptr) continue;
      FST_ASSIGN_OR_RAISE(auto mark,
                          repo_.registry().GetWatermarkAt(view_name, request.served_at_us));
      const int64_t end = mark.has_value() ? mark->end_ts : std::numeric_limits<int64_t>::min();
      if (end >= request.at_us) continue;
      FST_ASSIGN_OR_RAISE(auto files, repo_.registry().ListFiles(view->source));
      FST_ASSIGN_OR_RAISE(auto ingests, repo_.registry().ListIngests(view->source));
      std::set<int64_t> known;
      for (const auto& ingest : ingests) {
        if (ingest.published_at <= request.served_at_us) known.insert(ingest.id);
      }
      const bool gap_had_data = std::any_of(files.begin(), files.end(), [&](const auto& file) {
        const auto spans = registry::IngestSpans(file);
        return std::any_of(spans.begin(), spans.end(), [&](const registry::IngestSpan& span) {
          return known.count(span.ingest_id) > 0 && span.max_ts > end &&
                 span.min_ts <= request.at_us;
        });
      });
      if (!gap_had_data) continue;
      return "view '" + view_name + "' was " +
             (mark.has_value() ? "materialized up to " + core::FormatTimestamp(end)
                               : std::string("never materialized")) +
             " when the request was served (lookup time " + core::FormatTimestamp(request.at_us) +
             "), while the offline store held events after that";
    }
    return std::string();
  }

 private:
  repo::RepoContext& repo_;
  const definitions::Repo& applied_;
  std::map<std::string, registry::ObjectRecord> current_;
};

}  // namespace

const char* SkewReasonName(SkewReason reason) {
  switch (reason) {
    case SkewReason::kNone: return "equal";
    case SkewReason::kLateData: return "late_data";
    case SkewReason::kStaleOnline: return "stale_online";
    case SkewReason::kDefinitionChanged: return "definition_changed";
    case SkewReason::kTtl: return "ttl";
    case SkewReason::kUnexplained: return "unexplained";
  }
  return "unexplained";
}

namespace {

// The logged spec hashes of `request` that are not the current ones: "kind/name" -> hash.
std::map<std::string, std::string> ChangedHashes(
    const LoggedRequest& request, const std::map<std::string, registry::ObjectRecord>& current) {
  std::map<std::string, std::string> out;
  for (const auto& [key, hash] : request.spec_hashes) {
    auto now = current.find(key);
    if (now == current.end() || now->second.object.hash != hash) out[key] = hash;
  }
  return out;
}

// A context over the same stores with the definitions that served a response: the current
// objects with those of `changed` replaced by (or, when removed since, restored to) the
// registry versions of the logged hashes. Errors: KeyError when a version is no longer kept.
Result<std::unique_ptr<repo::RepoContext>> ServedContext(
    repo::RepoContext& repo, const std::map<std::string, std::string>& changed,
    const std::map<std::string, registry::ObjectRecord>& current) {
  std::map<std::string, definitions::SpecObject> objects;
  for (const auto& [key, record] : current) objects[key] = record.object;
  for (const auto& [key, hash] : changed) {
    const size_t slash = key.find('/');
    const std::string kind = key.substr(0, slash), name = key.substr(slash + 1);
    FST_ASSIGN_OR_RAISE(auto history, repo.registry().History(name));
    auto it = std::find_if(history.begin(), history.end(), [&](const registry::ObjectRecord& r) {
      return r.object.kind == kind && r.object.hash == hash && !r.removed;
    });
    if (it == history.end()) {
      return Status::KeyError(key, " spec ", Short(hash), " is not in the registry's history");
    }
    objects[key] = it->object;
  }
  std::vector<definitions::SpecObject> list;
  for (auto& [key, object] : objects) list.push_back(std::move(object));
  FST_ASSIGN_OR_RAISE(auto definitions, definitions::FromSpecObjects(list));
  FST_ASSIGN_OR_RAISE(auto context, repo::RepoContext::Open(repo.dir()));
  context->UseDefinitions(std::move(definitions));
  return context;
}

}  // namespace

Result<ServedComparison> CheckServed(repo::RepoContext& repo,
                                     const std::vector<LoggedRequest>& requests) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  Explainer current_explainer(repo, *applied);
  FST_RETURN_NOT_OK(current_explainer.Load());
  const auto& current = current_explainer.current();
  // Requests of one feature list served by one set of versions are recomputed by one join.
  std::map<std::pair<std::string, std::string>, std::vector<const LoggedRequest*>> groups;
  std::map<std::string, std::map<std::string, std::string>> changed_by_key;
  for (const auto& request : requests) {
    std::string features, versions;
    for (const auto& ref : request.features) features += ref.ToString() + ",";
    auto changed = ChangedHashes(request, current);
    for (const auto& [key, hash] : changed) versions += key + "=" + hash + ",";
    changed_by_key.emplace(versions, std::move(changed));
    groups[{features, versions}].push_back(&request);
  }
  ServedComparison out;
  for (const auto& [group_key, group] : groups) {
    const std::vector<FeatureRef>& refs = group.front()->features;
    const auto& changed = changed_by_key.at(group_key.second);
    const LoggedRows rows = Explode(group);
    out.values += static_cast<int64_t>(rows.size() * refs.size());
    // Recomputed with the definitions that served the responses when they changed since (and
    // the registry still has those versions); the current ones otherwise.
    std::unique_ptr<repo::RepoContext> served_context;
    std::string changed_text;
    for (const auto& [key, hash] : changed) {
      auto now = current.find(key);
      changed_text += (changed_text.empty() ? "" : "; ") + key + " served at spec " + Short(hash) +
                      (now == current.end()
                           ? std::string(", removed since")
                           : ", now spec " + Short(now->second.object.hash) + " (version " +
                                 std::to_string(now->second.version) + " applied " +
                                 core::FormatTimestamp(now->second.applied_at) + ")");
    }
    if (!changed.empty()) {
      auto context = ServedContext(repo, changed, current);
      if (context.ok()) served_context = std::move(*context);
    }
    repo::RepoContext& context = served_context != nullptr ? *served_context : repo;
    FST_ASSIGN_OR_RAISE(const definitions::Repo* definitions, context.Applied());
    Explainer explainer(context, *definitions);
    FST_ASSIGN_OR_RAISE(auto behind, ViewsBehind(*definitions, refs));
    FST_ASSIGN_OR_RAISE(auto now, Recompute(context, rows, refs, 0));
    // With served versions, a value they reproduce may still differ under today's definitions:
    // that difference is definition_changed.
    std::vector<std::shared_ptr<arrow::Array>> today;
    if (served_context != nullptr) {
      auto recomputed = Recompute(repo, rows, refs, 0);
      if (recomputed.ok()) today = std::move(*recomputed);
    }
    // Rows with a difference, by serving time (what the store knew then is one join per time),
    // and where their differing checks start.
    std::map<int64_t, LoggedRows> differing;
    std::map<std::pair<const LoggedRequest*, size_t>, size_t> first_check;
    for (size_t r = 0; r < rows.size(); ++r) {
      const LoggedRequest& request = *rows.request[r];
      const size_t e = rows.entity[r];
      for (size_t f = 0; f < refs.size(); ++f) {
        const json& served = request.values[e][f];
        const int64_t row = static_cast<int64_t>(r);
        FeatureCheck check;
        check.request = &request;
        check.entity = e;
        check.feature = f;
        check.served = served;
        if (SameAsCell(served, *now[f], row)) {
          if (!changed.empty() && (today.empty() || !SameAsCell(served, *today[f], row))) {
            // Reproduced by the served versions; not by today's (or they cannot compute it).
            check.reason = SkewReason::kDefinitionChanged;
            check.recomputed = today.empty() ? json() : json(retrieval::ToJson(*today[f], row));
            check.detail = changed_text + (served_context != nullptr
                                               ? "; the served versions reproduce the value"
                                               : "");
            out.differing.push_back(std::move(check));
          }
          continue;
        }
        if (first_check.emplace(std::make_pair(&request, e), out.differing.size()).second) {
          differing[request.served_at_us].Add(&request, e);
        }
        check.recomputed = json(retrieval::ToJson(*now[f], row));
        check.reason = SkewReason::kUnexplained;
        out.differing.push_back(std::move(check));
      }
    }
    for (const auto& [served_at, subset] : differing) {
      FST_ASSIGN_OR_RAISE(auto known, Recompute(context, subset, refs, served_at));
      for (size_t r = 0; r < subset.size(); ++r) {
        const LoggedRequest& request = *subset.request[r];
        const size_t e = subset.entity[r];
        for (size_t c = first_check.at({&request, e});
             c < out.differing.size() && out.differing[c].request == &request &&
             out.differing[c].entity == e;
             ++c) {
          FeatureCheck& check = out.differing[c];
          if (check.reason != SkewReason::kUnexplained) continue;
          const size_t f = check.feature;
          std::string evidence;
          if (!changed.empty() && served_context == nullptr) {
            // The served versions are gone: today's definitions computed the value.
            check.reason = SkewReason::kDefinitionChanged;
            evidence = changed_text;
          } else if (SameAsCell(check.served, *known[f], static_cast<int64_t>(r))) {
            check.reason = SkewReason::kLateData;
            FST_ASSIGN_OR_RAISE(evidence, explainer.LateIngests(request, behind[f]));
          } else {
            FST_ASSIGN_OR_RAISE(evidence, explainer.StaleViews(request, behind[f]));
            if (!evidence.empty()) {
              check.reason = SkewReason::kStaleOnline;
            } else if ((request.statuses[e][f] == "OUTSIDE_MAX_AGE") !=
                       check.recomputed.is_null()) {
              // Served as expired but recomputed, or served while the join found it expired.
              check.reason = SkewReason::kTtl;
              evidence = "served " + request.statuses[e][f] + " with the stored row of " +
                         core::FormatTimestamp(request.event_ts[e][f]);
            }
          }
          check.detail = std::move(evidence);
        }
      }
    }
  }
  return out;
}

Result<LoggedRequest> FindLoggedRequest(repo::RepoContext& repo, const std::string& request_id) {
  LogFilter filter;
  filter.request_id = request_id;
  const std::string dir = serving::FeatureLogDir(repo.dir());
  FST_ASSIGN_OR_RAISE(auto found, ReadRepoLog(repo, filter));
  if (found.empty()) {
    return Status::KeyError("no logged request '", request_id, "' in ", dir,
                            " (requests are logged by `featherstone serve`; the id is the "
                            "response's request_id)");
  }
  return std::move(found.front());
}

namespace {

std::string KeysText(const LoggedRequest& request, size_t entity) {
  std::string out;
  for (const auto& [key, value] : request.entities[entity].items()) {
    if (!out.empty()) out += ", ";
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

}  // namespace

std::string ReproduceText(const LoggedRequest& request, const ServedComparison& checks) {
  std::string out = "request " + request.request_id + " served " +
                    core::FormatTimestamp(request.served_at_us) +
                    (request.service.empty() ? std::string(" by feature list")
                                             : " by service '" + request.service + "'") +
                    ", lookup time " + core::FormatTimestamp(request.at_us) + ", " +
                    std::to_string(request.entities.size()) + " entit" +
                    (request.entities.size() == 1 ? "y" : "ies") + "\n";
  if (checks.differing.empty()) {
    return out + "reproduced: " + std::to_string(checks.values) + " features equal\n";
  }
  out += "skew: " + std::to_string(checks.differing.size()) + " of " +
         std::to_string(checks.values) + " values differ\n";
  for (const auto& check : checks.differing) {
    out += "  " + KeysText(request, check.entity) + "  " + request.feature_names[check.feature] +
           ": served " + check.served.dump() + ", recomputed " + check.recomputed.dump() + "  " +
           SkewReasonName(check.reason) + (check.detail.empty() ? "" : ": " + check.detail) + "\n";
  }
  return out;
}

nlohmann::ordered_json ReproduceJson(const LoggedRequest& request,
                                     const ServedComparison& checks) {
  nlohmann::ordered_json out;
  out["request_id"] = request.request_id;
  out["served_at"] = core::FormatTimestamp(request.served_at_us);
  out["at"] = core::FormatTimestamp(request.at_us);
  out["service"] = request.service.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(request.service);
  out["equal"] = checks.differing.empty();
  out["values"] = checks.values;
  out["mismatches"] = nlohmann::ordered_json::array();
  for (const auto& check : checks.differing) {
    nlohmann::ordered_json item;
    item["entity"] = request.entities[check.entity];
    item["feature"] = request.feature_names[check.feature];
    item["served"] = check.served;
    item["recomputed"] = check.recomputed;
    item["reason"] = SkewReasonName(check.reason);
    item["detail"] = check.detail;
    out["mismatches"].push_back(std::move(item));
  }
  return out;
}

}  // namespace fst::feedback
