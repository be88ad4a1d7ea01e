#include "featherstone/ingest/breaker.h"

#include <set>

#include "featherstone/core/time.h"
#include "featherstone/ingest/quality_history.h"


namespace fst::ingest {
namespace {

quality::BreakerRecord FromRow(const registry::BreakerRow& row) {
  quality::BreakerRecord record;
  record.state = row.state == "OPEN" ? quality::BreakerState::kOpen : quality::BreakerState::kClosed;
  record.opened_at = row.opened_at;
  record.changed_at = row.changed_at;
  record.bad_share = row.bad_share;
  record.reason = row.reason;
  return record;
}

registry::BreakerRow ToRow(const std::string& source, const quality::BreakerRecord& record) {
  return registry::BreakerRow{source,
                              record.state == quality::BreakerState::kOpen ? "OPEN" : "CLOSED",
                              record.opened_at,
                              record.changed_at,
                              record.bad_share,
                              record.reason};
}


BreakerStatus StatusOf(const definitions::Source* source, const std::string& name,
                       const std::optional<registry::BreakerRow>& row, int64_t now) {
  BreakerStatus status;
  status.source = name;
  if (row.has_value()) status.record = FromRow(*row);
  if (source != nullptr && source->contract.has_value() && source->contract->breaker.has_value()) {
    status.configured = true;
    status.config = *source->contract->breaker;
  }
  status.state = status.configured ? quality::EffectiveState(status.record, status.config, now)
                                   : status.record.state;
  status.probe_at = quality::ProbeAt(status.record, status.config);
  return status;
}

}  // namespace

Result<std::vector<BreakerStatus>> GetBreakerStatus(repo::RepoContext& repo, const std::string& source,
                                                    int64_t now) {
  std::vector<BreakerStatus> out;
  if (!source.empty()) {
    FST_ASSIGN_OR_RAISE(const definitions::Source* found, repo.AppliedSource(source));
    FST_ASSIGN_OR_RAISE(auto row, repo.registry().GetBreaker(source));
    out.push_back(StatusOf(found, source, row, now));
    return out;
  }
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto rows, repo.registry().ListBreakers());
  std::set<std::string> names;
  for (const auto& s : applied->sources) {
    if (s.contract.has_value() && s.contract->breaker.has_value()) names.insert(s.name);
  }
  for (const auto& row : rows) names.insert(row.source);
  for (const auto& name : names) {
    std::optional<registry::BreakerRow> row;
    for (const auto& r : rows) {
      if (r.source == name) row = r;
    }
    out.push_back(StatusOf(applied->FindSource(name), name, row, now));
  }
  return out;
}

Result<BreakerStatus> ResetBreaker(repo::RepoContext& repo, const std::string& source, int64_t now) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* found, repo.AppliedSource(source));
  FST_ASSIGN_OR_RAISE(auto row, repo.registry().GetBreaker(source));
  quality::BreakerRecord record = row.has_value() ? FromRow(*row) : quality::BreakerRecord{};
  record.state = quality::BreakerState::kClosed;
  record.changed_at = now;
  record.reason = "reset by `featherstone breaker reset`";
  FST_RETURN_NOT_OK(repo.registry().SetBreaker(ToRow(source, record)));
  return StatusOf(found, source, ToRow(source, record), now);
}

Result<RunAdmission> AdmitRun(repo::RepoContext& repo, const definitions::Source& source, int64_t now) {
  RunAdmission admission;
  if (!source.contract.has_value() || !source.contract->breaker.has_value()) return admission;
  admission.configured = true;
  admission.config = *source.contract->breaker;
  FST_ASSIGN_OR_RAISE(auto row, repo.registry().GetBreaker(source.name));
  if (row.has_value()) admission.before = FromRow(*row);
  const quality::Admission verdict =
      quality::Admit(admission.before, admission.config, source.name, now);
  if (!verdict.allowed) return Status::Invalid(verdict.message);
  admission.probe = verdict.probe;
  return admission;
}

std::optional<registry::BreakerRow> BreakerAfterRun(const RunAdmission& admission,
                                                    const std::string& source, double bad_share,
                                                    bool rejected, const std::string& what,
                                                    int64_t now) {
  if (!admission.configured) return std::nullopt;
  const quality::BreakerRecord after = quality::AfterRun(admission.before, admission.config,
                                                         admission.probe, bad_share, rejected,
                                                         what, now);
  if (after.state == admission.before.state && after.changed_at == admission.before.changed_at) {
    return std::nullopt;
  }
  return ToRow(source, after);
}

Result<nlohmann::ordered_json> BreakersJson(repo::RepoContext& repo, const std::string& source,
                                            int64_t now) {
  FST_ASSIGN_OR_RAISE(auto statuses, GetBreakerStatus(repo, source, now));
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& status : statuses) {
    FST_ASSIGN_OR_RAISE(auto runs, QualityHistory(repo, status.source, 0));
    nlohmann::ordered_json transitions = nlohmann::ordered_json::array();
    for (const auto& t : BreakerTransitions(runs, status.record)) {
      transitions.push_back(
          {{"time", core::FormatTimestamp(t.at)}, {"state", t.state}, {"why", t.why}});
    }
    const auto time_or_null = [](int64_t us) {
      return us == 0 ? nlohmann::ordered_json(nullptr)
                     : nlohmann::ordered_json(core::FormatTimestamp(us));
    };
    const bool open = status.record.state != quality::BreakerState::kClosed;
    out.push_back(
        {{"source", status.source},
         {"state", std::string(quality::BreakerStateName(status.state))},
         {"configured", status.configured},
         {"threshold", status.configured ? nlohmann::ordered_json(status.config.threshold)
                                         : nlohmann::ordered_json(nullptr)},
         {"half_open_after", status.configured
                                 ? nlohmann::ordered_json(
                                       core::FormatDuration(status.config.half_open_after_us))
                                 : nlohmann::ordered_json(nullptr)},
         {"opened_at", time_or_null(status.record.opened_at)},
         {"changed_at", time_or_null(status.record.changed_at)},
         {"probe_at", open && status.configured ? time_or_null(status.probe_at)
                                                : nlohmann::ordered_json(nullptr)},
         {"bad_share", status.record.bad_share},
         {"reason", status.record.reason},
         {"transitions", std::move(transitions)}});
  }
  return out;
}

}  // namespace fst::ingest
