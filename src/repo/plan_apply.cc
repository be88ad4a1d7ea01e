#include "featherstone/repo/plan_apply.h"

#include <set>

#include "featherstone/definitions/schema_evolution.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/validate.h"
#include "featherstone/features/check_features.h"
#include "featherstone/features/log_source.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/quality/validator.h"
#include "featherstone/repo/backends.h"

namespace fst::repo {
namespace {

// definitions::CheckSchemaEvolution between the registry's current definitions (none before
// the first apply) and `desired`; a source has data when it has published files. Log sources
// are left out: each part of a log is read with the columns it was written with, so a
// service's log follows the service's changes (docs/impl.md "Feature log").

Result<definitions::EvolutionCheck> CheckEvolution(RepoContext& repo,
                                                   const definitions::Repo& desired) {
  FST_ASSIGN_OR_RAISE(auto records, repo.registry().List());
  std::vector<definitions::SpecObject> objects;
  for (const auto& record : records) objects.push_back(record.object);
  FST_ASSIGN_OR_RAISE(definitions::Repo current, definitions::FromSpecObjects(objects));
  std::erase_if(current.sources, [&](const definitions::Source& source) {
    return !definitions::LoggedService(current, source.name).empty();
  });
  Status error;
  auto check = definitions::CheckSchemaEvolution(current, desired, [&](const std::string& source) {
    auto files = repo.registry().ListFiles(source);
    if (!files.ok()) {
      error = files.status();
      return true;
    }
    return !files->empty();
  });
  FST_RETURN_NOT_OK(error);
  return check;
}

Status CheckContracts(const definitions::Repo& desired) {
  std::string problems;
  for (const auto& source : desired.sources) {
    if (!source.contract.has_value()) continue;
    auto validator = quality::Validator::Make(source, {});
    if (!validator.ok()) {
      const std::string where = source.location.ToString();
      problems += (problems.empty() ? "" : "\n") + (where.empty() ? "" : where + ": ") +
                  "source '" + source.name + "': " + validator.status().message();
    }
  }
  if (problems.empty()) return Status::OK();
  return Status::Invalid(problems);
}

Result<PlanResult> Checked(RepoContext& repo, const definitions::Repo& desired, bool apply) {
  FST_RETURN_NOT_OK(CheckBackends(desired));
  // Views may read a service's feature log, whose source is made from the service here: the
  // definitions are checked again with the logs, so those views are checked like any other.
  auto with_logs = features::WithLogSources(desired);
  if (!with_logs.ok()) {
    // A service whose features do not plan: the checks name the feature and its file:line.
    FST_RETURN_NOT_OK(features::CheckFeatures(desired));
    return with_logs.status();
  }
  FST_RETURN_NOT_OK(definitions::Validate(*with_logs));
  FST_RETURN_NOT_OK(features::CheckFeatures(*with_logs));
  FST_RETURN_NOT_OK(CheckContracts(desired));
  FST_ASSIGN_OR_RAISE(auto evolution, CheckEvolution(repo, desired));
  PlanResult out;
  out.notes = std::move(evolution.notes);
  if (!evolution.refused.empty()) {
    std::string message = "schema change refused (old files could not be read as declared):";
    for (const auto& line : evolution.refused) message += "\n  " + line;
    out.refused = Status::Invalid(message);
  }
  const auto objects = definitions::ToSpecObjects(*with_logs);
  if (!apply) {
    FST_ASSIGN_OR_RAISE(out.changes, repo.registry().Plan(objects));
    return out;
  }
  FST_RETURN_NOT_OK(out.refused);
  FST_ASSIGN_OR_RAISE(out.changes, repo.registry().Apply(objects));
  return out;
}

// The files the definitions were read from, as OpenLineage file datasets.
std::vector<lineage::Dataset> DefinitionFiles(const RepoContext& repo,
                                              const definitions::Repo& desired) {
  std::set<std::string> files;
  auto add = [&](const definitions::Location& where) {
    if (!where.file.empty()) files.insert(where.file);
  };
  for (const auto& o : desired.entities) add(o.location);
  for (const auto& o : desired.sources) add(o.location);
  for (const auto& o : desired.feature_views) add(o.location);
  for (const auto& o : desired.on_demand_feature_views) add(o.location);
  for (const auto& o : desired.feature_services) add(o.location);
  std::vector<lineage::Dataset> out;
  for (const auto& file : files) out.push_back(lineage::FileDataset(repo.dir() + "/" + file));
  return out;
}

}  // namespace

Result<PlanResult> PlanApply(RepoContext& repo, const definitions::Repo& desired, bool apply) {
  if (!apply) return Checked(repo, desired, false);
  // An OpenLineage run "apply" (docs/lineage.md): the definition files -> the registry objects
  // the apply changed.
  const auto inputs = DefinitionFiles(repo, desired);
  lineage::LineageRun run(repo.lineage(), "apply", inputs, {});
  auto out = Checked(repo, desired, true);
  if (!out.ok()) {
    run.Fail(out.status().message());
    return out;
  }
  std::vector<lineage::Dataset> outputs;
  for (const auto& change : out->changes) {
    outputs.push_back({repo.project(), "registry/" + change.kind + "/" + change.name});
  }
  run.Complete(static_cast<int64_t>(out->changes.size()), {}, std::move(outputs));
  return out;
}

}  // namespace fst::repo
