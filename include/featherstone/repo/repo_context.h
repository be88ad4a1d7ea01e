// An opened feature repository: its folder, registry, applied definitions and stores.
// Layout of REPO/.featherstone: docs/impl.md "Storage layout". Not thread-safe.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/type_fwd.h>

#include "featherstone/definitions/model.h"
#include "featherstone/online/online_store.h"
#include "featherstone/registry/registry.h"

namespace fst::features {
class PlanCache;  // plan_cache.h
}  // namespace fst::features
namespace fst::lineage {
class Emitter;  // emitter.h
}  // namespace fst::lineage

namespace fst::repo {

class RepoContext {
 public:
  // Opens the registry of the repo at `dir` (created on first use), the backends chosen by the
  // `registry:` and `online_store:` settings of its featherstone.yaml (backends.h; defaults
  // without the file) and its lineage sinks (`lineage:`). Errors: IOError when `dir` is not a
  // folder or the registry cannot be opened; Invalid for a setting without a backend, a wrong
  // `lineage:` or a featherstone.yaml that does not parse.
  static Result<std::unique_ptr<RepoContext>> Open(const std::string& dir);
  // The same with the store files (parts, quarantine) on `fs` instead of the local file
  // system, e.g. a core::FaultInjectionFileSystem in a crash test. Paths on `fs` are
  // REPO/.featherstone/... as local paths.
  static Result<std::unique_ptr<RepoContext>> Open(const std::string& dir,
                                                   std::shared_ptr<arrow::fs::FileSystem> fs);
  ~RepoContext();

  const std::string& dir() const { return dir_; }
  // The `registry:` and `online_store:` settings the context opened its backends by.
  const definitions::Repo& settings() const { return settings_; }
  registry::Registry& registry() { return *registry_; }
  // `project:` of featherstone.yaml, read when the context opened; "default" without one. The
  // namespace of the repo's OpenLineage jobs and datasets.
  const std::string& project() const { return project_; }
  // Where the repo's OpenLineage run events go (registry and the `lineage:` sinks).
  lineage::Emitter& lineage() { return *lineage_; }
  // The applied definitions, loaded from the registry once: definitions applied later are
  // seen by a context opened after them, or after ReloadIfApplied.
  // Errors: Invalid "nothing applied yet" when the registry is empty.
  Result<const definitions::Repo*> Applied();
  // Drops the loaded definitions and the plans made from them when an apply changed the
  // registry since they were loaded (registry::Registry::LatestApplyId), so the next
  // Applied() reads the new ones. True when Applied() will load (it did drop them, or none
  // are loaded). Definitions of UseDefinitions stay (false).
  Result<bool> ReloadIfApplied();
  // Makes `definitions` this context's applied definitions from now on (e.g. the versions that
  // served a logged response, to reproduce it); plans made so far are dropped.
  void UseDefinitions(definitions::Repo definitions);
  // The applied source named `name`. Errors: those of Applied(); KeyError "unknown source 'X';
  // applied sources: a, b" otherwise.
  Result<const definitions::Source*> AppliedSource(const std::string& name);
  // Plans made from the applied definitions, kept until they are reloaded (ReloadIfApplied,
  // UseDefinitions).
  features::PlanCache& plans() { return *plans_; }
  // The online store, opened on first use.
  Result<online::OnlineStore*> Online();
  // The file system of the part and quarantine files (docs/impl.md "I/O and crash tests");
  // the registry and the online store do their own I/O.
  arrow::fs::FileSystem& fs() { return *fs_; }
  // Where part files live: REPO/.featherstone/offline.
  std::string OfflineRoot() const { return dir_ + "/.featherstone/offline"; }
  // Where quarantined rows live: REPO/.featherstone/quarantine (docs/quality.md).
  std::string QuarantineRoot() const { return dir_ + "/.featherstone/quarantine"; }
  // Worker threads for joins and sorts (FST_THREADS, default 2).
  int threads() const { return threads_; }

 private:
  RepoContext() = default;
  std::string dir_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  definitions::Repo settings_;  // registry and online_store of featherstone.yaml
  std::string project_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<lineage::Emitter> lineage_;  // after registry_: it records there
  std::unique_ptr<definitions::Repo> applied_;
  // Registry::LatestApplyId when applied_ was loaded; -1 for definitions of UseDefinitions.
  int64_t applied_apply_id_ = -1;
  std::unique_ptr<online::OnlineStore> online_;
  std::unique_ptr<features::PlanCache> plans_;
  int threads_ = 2;
};

}  // namespace fst::repo
