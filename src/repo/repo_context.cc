#include "featherstone/repo/repo_context.h"

#include <cstdlib>
#include <filesystem>

#include "featherstone/core/file_system.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/repo/backends.h"
#include "featherstone/features/plan_cache.h"
#include "featherstone/features/view_plan.h"
#include "featherstone/lineage/emitter.h"

namespace fst::repo {

Result<std::unique_ptr<RepoContext>> RepoContext::Open(const std::string& dir) {
  return Open(dir, core::LocalFs());
}

Result<std::unique_ptr<RepoContext>> RepoContext::Open(const std::string& dir,
                                                       std::shared_ptr<arrow::fs::FileSystem> fs) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::IOError("repository folder '", dir, "' does not exist");
  }
  std::unique_ptr<RepoContext> repo(new RepoContext());
  repo->fs_ = std::move(fs);
  repo->plans_ = std::make_unique<features::PlanCache>();
  repo->dir_ = std::filesystem::absolute(dir, ec).lexically_normal().string();
  if (!repo->dir_.empty() && repo->dir_.back() == '/') repo->dir_.pop_back();
  FST_ASSIGN_OR_RAISE(repo->settings_, definitions::LoadSettings(repo->dir_));
  // Every setting is checked before anything is created.
  FST_RETURN_NOT_OK(CheckBackends(repo->settings_));
  FST_RETURN_NOT_OK(lineage::Emitter::CheckSettings(repo->settings_.lineage));
  FST_ASSIGN_OR_RAISE(repo->registry_, OpenRegistry(repo->settings_, repo->dir_));
  repo->project_ = repo->settings_.project.empty() ? "default" : repo->settings_.project;
  // The lineage sinks write on the local file system, not on fs_: they are outside the stores'
  // crash model (docs/impl.md "I/O and crash tests"), and never fail a run.
  FST_ASSIGN_OR_RAISE(repo->lineage_,
                      lineage::Emitter::Open(*repo->registry_, *core::LocalFs(), repo->dir_,
                                             repo->project_, repo->settings_.lineage));
  if (const char* threads = std::getenv("FST_THREADS")) {
    repo->threads_ = std::max(1, std::atoi(threads));
  }
  return repo;
}

RepoContext::~RepoContext() = default;

Result<const definitions::Repo*> RepoContext::Applied() {
  if (applied_ == nullptr) {
    // Noted before the read: an apply in between is then seen as a change next time.
    FST_ASSIGN_OR_RAISE(const int64_t apply_id, registry_->LatestApplyId());
    FST_ASSIGN_OR_RAISE(auto records, registry_->List());
    if (records.empty()) {
      return Status::Invalid("nothing is applied in ", dir_, "; run `featherstone -C ", dir_,
                             " apply` first");
    }
    std::vector<definitions::SpecObject> objects;
    for (auto& record : records) objects.push_back(record.object);
    FST_ASSIGN_OR_RAISE(auto repo, definitions::FromSpecObjects(objects));
    applied_ = std::make_unique<definitions::Repo>(std::move(repo));
    applied_apply_id_ = apply_id;
  }
  return applied_.get();
}

Result<bool> RepoContext::ReloadIfApplied() {
  if (applied_ == nullptr) return true;
  if (applied_apply_id_ < 0) return false;
  FST_ASSIGN_OR_RAISE(const int64_t apply_id, registry_->LatestApplyId());
  if (apply_id == applied_apply_id_) return false;
  applied_.reset();
  plans_ = std::make_unique<features::PlanCache>();
  return true;
}

void RepoContext::UseDefinitions(definitions::Repo definitions) {
  applied_ = std::make_unique<definitions::Repo>(std::move(definitions));
  applied_apply_id_ = -1;
  plans_ = std::make_unique<features::PlanCache>();
}

Result<const definitions::Source*> RepoContext::AppliedSource(const std::string& name) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, Applied());
  if (const definitions::Source* source = applied->FindSource(name)) return source;
  std::vector<std::string> known;
  for (const auto& s : applied->sources) known.push_back(s.name);
  return Status::KeyError("unknown source '", name, "'; applied sources: ",
                          known.empty() ? "(none)" : features::JoinNames(known));
}

Result<online::OnlineStore*> RepoContext::Online() {
  if (online_ == nullptr) {
    FST_ASSIGN_OR_RAISE(online_, OpenOnlineStore(settings_, dir_));
  }
  return online_.get();
}

}  // namespace fst::repo
