#include "featherstone/pipeline/apply_checks.h"

#include "featherstone/definitions/spec.h"
#include "featherstone/quality/validator.h"

namespace fst::pipeline {

Result<definitions::EvolutionCheck> CheckEvolution(RepoContext& repo,
                                                   const definitions::Repo& desired) {
  FST_ASSIGN_OR_RAISE(auto records, repo.registry().List());
  std::vector<definitions::SpecObject> objects;
  for (const auto& record : records) objects.push_back(record.object);
  FST_ASSIGN_OR_RAISE(definitions::Repo current, definitions::FromSpecObjects(objects));
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

}  // namespace fst::pipeline
