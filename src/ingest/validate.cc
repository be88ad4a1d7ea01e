#include "featherstone/ingest/validate.h"

#include "featherstone/connectors/connector.h"
#include "featherstone/core/time.h"
#include "featherstone/quality/breaker.h"
#include "part_sink.h"
#include "featherstone/features/view_plan.h"

namespace fst::ingest {

Result<quality::RunReport> ValidateFile(repo::RepoContext& repo, const std::string& source_name,
                                        const std::string& path, int64_t now_us) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  const int64_t now = now_us != 0 ? now_us : core::NowMicros();
  core::Schema read_schema = source->schema;
  for (auto& column : read_schema) column.nullable = true;
  FST_ASSIGN_OR_RAISE(auto connector, connectors::OpenFile(path, source->format, read_schema, {}));
  quality::ValidatorOptions options;
  options.required_columns = internal::SortKeysFor(*applied, *source);
  options.required_columns.push_back(source->timestamp_field);
  options.build_quarantine = false;
  FST_ASSIGN_OR_RAISE(auto validator, quality::Validator::Make(*source, options));
  while (true) {
    FST_ASSIGN_OR_RAISE(auto batch, connector->Next());
    if (batch.batch == nullptr) break;
    FST_RETURN_NOT_OK(validator->Add(batch.batch, batch.first_row).status());
  }
  FST_ASSIGN_OR_RAISE(auto finished, validator->Finish(now));
  quality::RunReport report = std::move(finished.report);
  const bool quarantine = !source->contract.has_value() ||
                          source->contract->policy == definitions::ContractPolicy::kQuarantine;
  auto& meta = report.result["meta"];
  meta["input"] = path;
  meta["dry_run"] = true;
  meta["policy"] = quarantine ? "quarantine" : "reject_batch";
  meta["rows_to_quarantine"] = quarantine ? report.bad_rows : 0;
  const bool has_breaker = source->contract.has_value() && source->contract->breaker.has_value();
  meta["breaker_would_open"] =
      has_breaker && quality::Trips(*source->contract->breaker, report.bad_share);
  meta["would_write"] = quarantine ? !report.aggregate_failed : report.success;
  return report;
}

}  // namespace fst::ingest
