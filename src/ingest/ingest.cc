#include "featherstone/ingest/ingest.h"

#include <cstdio>
#include <filesystem>

#include <arrow/api.h>
#include <arrow/ipc/writer.h>

#include "featherstone/connectors/connector.h"
#include "featherstone/connectors/postgres.h"
#include "featherstone/connectors/source_kind.h"
#include "featherstone/core/hash.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/breaker.h"
#include "featherstone/ingest/quarantine.h"
#include "featherstone/lineage/lineage_run.h"
#include "featherstone/quality/validator.h"
#include "batch_prefetcher.h"
#include "kill_point.h"
#include "part_sink.h"
#include "featherstone/features/view_plan.h"

namespace fst::ingest {
namespace {

// Event times and sort keys must be present on every row (sources without a contract; with
// one, a missing value quarantines the row instead).
Status CheckRequired(const arrow::RecordBatch& batch, const std::vector<std::string>& columns,
                     const std::string& path, int64_t first_row) {
  for (const auto& name : columns) {
    auto column = batch.GetColumnByName(name);
    if (column == nullptr || column->null_count() == 0) continue;
    for (int64_t i = 0; i < column->length(); ++i) {
      if (column->IsNull(i)) {
        return Status::Invalid(path, ": row ", first_row + i + 1, ", column '", name,
                               "': value is empty; a join key or event time is required on "
                               "every row");
      }
    }
  }
  return Status::OK();
}

std::string Share(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g%%", share * 100.0);
  return text;
}

std::string Lines(const std::vector<std::string>& lines, const char* prefix) {
  std::string out;
  for (const auto& line : lines) out += std::string("\n  ") + prefix + line;
  return out;
}

// With a contract (or for events), nulls in non-nullable columns are quarantined row by row,
// not fatal: the connector reads every column as nullable.
core::Schema ReadSchema(const definitions::Source& source, bool per_event) {
  core::Schema schema = source.schema;
  if (source.contract.has_value() || per_event) {
    for (auto& column : schema) column.nullable = true;
  }
  return schema;
}

// Counts inputs that did not decode into `report` as bad rows failing an error-level rule
// `decode` (a failure line and a Great-Expectations result of their own).
void AddUndecoded(const std::vector<UndecodedInput>& undecoded, quality::RunReport* report) {
  if (undecoded.empty()) return;
  const auto count = static_cast<int64_t>(undecoded.size());
  report->rows += count;
  report->bad_rows += count;
  report->bad_share = static_cast<double>(report->bad_rows) / static_cast<double>(report->rows);
  report->success = false;
  report->row_rule_failed = true;
  report->failures.push_back(std::string(kDecodeRule) + ": " + std::to_string(count) + " of " +
                             std::to_string(report->rows) + " rows (" +
                             Share(static_cast<double>(count) /
                                   static_cast<double>(report->rows)) +
                             ") do not decode as the source's schema; first: " +
                             undecoded.front().reason);
  nlohmann::json& result = report->result;
  nlohmann::json reasons = nlohmann::json::array();
  for (size_t i = 0; i < undecoded.size() && i < 20; ++i) reasons.push_back(undecoded[i].reason);
  result["success"] = false;
  result["results"].push_back(
      {{"expectation_config",
        {{"expectation_type", "expect_events_to_decode"},
         {"kwargs", nlohmann::json::object()},
         {"meta", {{"rule", kDecodeRule}, {"severity", "error"}}}}},
       {"success", false},
       {"result",
        {{"element_count", report->rows},
         {"unexpected_count", count},
         {"unexpected_percent",
          100.0 * static_cast<double>(count) / static_cast<double>(report->rows)},
         {"partial_unexpected_list", std::move(reasons)}}},
       {"exception_info", {{"raised_exception", false}}}});
  nlohmann::json& stats = result["statistics"];
  const int64_t evaluated = stats.value("evaluated_expectations", int64_t{0}) + 1;
  const int64_t successful = stats.value("successful_expectations", int64_t{0});
  stats["evaluated_expectations"] = evaluated;
  stats["unsuccessful_expectations"] = evaluated - successful;
  stats["success_percent"] =
      100.0 * static_cast<double>(successful) / static_cast<double>(evaluated);
  result["meta"]["rows"] = report->rows;
  result["meta"]["bad_rows"] = report->bad_rows;
  result["meta"]["bad_share"] = report->bad_share;
}

// Where an incremental read ends, once its rows were read: recorded with the publish.
using CursorAfterRead = std::function<std::optional<registry::SourceCursor>()>;

// The one ingest run: admit (breaker) -> read -> validate -> sink -> publish. `path` names the
// input in messages and records; `hash` its content (empty: not deduplicated). `ran`: the
// quality run record, once the contract has judged the rows.
Result<IngestResult> Checked(repo::RepoContext& repo, const definitions::Repo& applied,
                             const definitions::Source& source_def, const std::string& path,
                             const std::string& hash, connectors::Connector* connector,
                             connectors::SourceInput* own, const IngestOptions& options,
                             std::optional<registry::QualityRunRecord>* ran,
                             const CursorAfterRead& cursor) {
  const definitions::Source* source = &source_def;
  const std::string& source_name = source->name;
  IngestResult result;
  result.input = path;
  const int64_t now = options.now_us != 0 ? options.now_us : core::NowMicros();
  const bool contracted = source->contract.has_value();
  const bool quarantine_policy =
      !contracted || source->contract->policy == definitions::ContractPolicy::kQuarantine;
  result.has_contract = contracted;
  // Events judged before were admitted then: the breaker is neither asked nor moved again (an
  // opened breaker is recorded before the events judged ahead of it are published).
  RunAdmission admission;
  if (!options.judged) {
    FST_ASSIGN_OR_RAISE(admission, AdmitRun(repo, *source, now));
  }
  FST_ASSIGN_OR_RAISE(result.ingest_id, repo.registry().BeginIngest(source_name, path, hash));

  offline::PartLayout layout;
  layout.sort_keys = internal::SortKeysFor(applied, *source);
  layout.ts_column = source->timestamp_field;
  layout.created_column = source->created_timestamp_field;
  std::vector<std::string> required = layout.sort_keys;
  required.push_back(layout.ts_column);

  quality::ValidatorOptions validator_options;
  validator_options.required_columns = required;
  validator_options.build_quarantine = quarantine_policy;
  FST_ASSIGN_OR_RAISE(auto validator, quality::Validator::Make(*source, validator_options));

  internal::PartSink sink(repo.fs(), repo.OfflineRoot() + "/" + source_name, result.ingest_id,
                          layout, repo.threads() > 1);
  internal::QuarantineSink quarantine(repo.fs(), repo.QuarantineRoot() + "/" + source_name,
                                      result.ingest_id);
  std::vector<std::shared_ptr<arrow::RecordBatch>> accepted;  // for before_publish
  auto add_good = [&](const quality::RowSet& good) -> Status {
    if (good.batch == nullptr || good.batch->num_rows() == 0) return Status::OK();
    FST_ASSIGN_OR_RAISE(auto with_seq, internal::WithSeq(good.batch, result.ingest_id, *good.rows));
    result.rows += with_seq->num_rows();
    if (options.before_publish) accepted.push_back(with_seq);
    if (!options.publish) return Status::OK();
    return sink.Add(with_seq, options.part_rows, options.part_bytes);
  };

  quality::RunReport report;
  std::string rejection;  // why nothing is written, when it is not
  std::optional<registry::BreakerRow> breaker;
  double judged = 0;  // the bad share the breaker judges
  auto run = [&]() -> Status {
    // Parsing the next batch overlaps checking and writing this one (docs/impl.md "Ingest").
    std::unique_ptr<internal::BatchPrefetcher> prefetcher;
    if (repo.threads() > 1 && options.prefetch_batches > 0) {
      prefetcher = std::make_unique<internal::BatchPrefetcher>(connector, options.prefetch_batches);
    }
    while (true) {
      FST_ASSIGN_OR_RAISE(auto batch, prefetcher ? prefetcher->Next() : connector->Next());
      if (batch.batch == nullptr) break;
      if (!contracted && !options.per_event) {
        FST_RETURN_NOT_OK(CheckRequired(*batch.batch, required, path, batch.first_row));
      }
      FST_ASSIGN_OR_RAISE(auto checked, validator->Add(batch.batch, batch.first_row));
      result.rows_read += batch.batch->num_rows();
      FST_RETURN_NOT_OK(add_good(checked.good));
      FST_RETURN_NOT_OK(quarantine.Add(checked.quarantine));
      if (options.progress) options.progress(result.rows_read);
    }
    FST_ASSIGN_OR_RAISE(auto finished, validator->Finish(now));
    for (const auto& good : finished.good) FST_RETURN_NOT_OK(add_good(good));
    for (const auto& q : finished.quarantine) FST_RETURN_NOT_OK(quarantine.Add(q));
    report = std::move(finished.report);
    std::vector<UndecodedInput> undecoded = options.undecoded;
    if (own != nullptr) {
      for (auto& rejected : own->Rejected()) {
        undecoded.push_back({std::move(rejected.payload), std::move(rejected.reason)});
      }
    }
    if (!undecoded.empty()) {
      AddUndecoded(undecoded, &report);
      if (quarantine_policy) {
        FST_ASSIGN_OR_RAISE(auto rows, internal::UndecodedRows(source->schema, result.rows_read,
                                                               undecoded));
        FST_RETURN_NOT_OK(quarantine.Add(std::move(rows)));
      }
    }

    const bool rejected = !options.judged &&
                          (!quarantine_policy ? !report.success : report.aggregate_failed);
    judged = options.breaker_share ? options.breaker_share(report.bad_rows, report.rows)
                                   : report.bad_share;
    const bool trips = admission.configured && quality::Trips(admission.config, judged);
    breaker = BreakerAfterRun(admission, source_name, judged, rejected, path, now);
    result.breaker_opened = trips || (admission.probe && rejected);
    if (trips) {
      rejection = path + ": " + Share(judged) +
                  (options.breaker_share ? " of the recent events (this batch: "
                                         : " of the rows (") +
                  std::to_string(report.bad_rows) + " of " + std::to_string(report.rows) +
                  ") broke the contract of source '" + source_name + "', above the breaker "
                  "threshold " + Share(admission.config.threshold) + ": " +
                  (admission.probe ? "the probe failed and the circuit breaker stays OPEN"
                                   : "the circuit breaker is now OPEN") +
                  " and nothing was written. Ingests of '" + source_name +
                  "' are refused until a probe from " +
                  core::FormatTimestamp(now + admission.config.half_open_after_us) +
                  ", or `featherstone breaker reset " + source_name + "`.";
    } else if (rejected) {
      rejection = path + ": rejected by the contract of source '" + source_name + "'" +
                  (quarantine_policy ? "" : " (policy reject_batch)") +
                  "; nothing was written" +
                  (admission.probe ? "; the breaker probe failed and the breaker stays OPEN"
                                   : "");
    }
    if (!rejection.empty()) {
      rejection += ":" + Lines(report.failures, "") + Lines(report.warnings, "warning: ");
      return Status::OK();
    }
    if (options.before_publish) FST_RETURN_NOT_OK(options.before_publish(accepted));
    if (!options.publish) return Status::OK();
    FST_RETURN_NOT_OK(sink.Flush());
    FST_RETURN_NOT_OK(quarantine.Flush());
    KillPoint("ingest.before_publish");
    return Status::OK();
  };
  Status status = run();
  if (!status.ok()) {
    sink.Discard();
    quarantine.Discard();
    return status;
  }

  report.result["meta"]["input"] = path;
  report.result["meta"]["ingest_id"] = result.ingest_id;
  report.result["meta"]["policy"] = quarantine_policy ? "quarantine" : "reject_batch";
  report.result["meta"]["breaker_probe"] = admission.probe;
  registry::QualityRunRecord record;
  record.source = source_name;
  record.ingest_id = result.ingest_id;
  record.input = path;
  record.run_at = now;
  record.rows = report.rows;
  record.success = report.success;
  record.metrics_json = report.metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  if (!rejection.empty()) {
    sink.Discard();
    quarantine.Discard();
    record.outcome = quality::Trips(admission.config, judged) && admission.configured
                         ? "breaker_opened"
                         : "rejected";
    report.result["meta"]["outcome"] = record.outcome;
    record.result_json =
        report.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // A rejected micro-batch is consumed (its run is its record); one that opens the breaker
    // is not, so it is read again once the breaker lets the source through.
    *ran = record;
    if (!result.breaker_opened && options.before_publish) {
      FST_RETURN_NOT_OK(options.before_publish({}));
    }
    static const std::vector<registry::StreamOffset> kNone;
    // A run that opens the breaker is recorded even when it publishes nothing (a stream's
    // judge-only micro-batch): the breaker stays OPEN for the next run.
    if (options.publish || result.breaker_opened) {
      FST_RETURN_NOT_OK(repo.registry().RecordQualityRun(
          record, breaker, result.breaker_opened ? kNone : options.stream_offsets));
    }
    if (!options.verdicts_as_results) return Status::Invalid(rejection);
    result.rows = 0;
    result.rows_read = report.rows;
    result.verdict = rejection;
    return result;
  }

  record.outcome = "written";
  record.written = result.rows;
  record.quarantined = quarantine_policy ? report.bad_rows : 0;
  report.result["meta"]["outcome"] = record.outcome;
  record.result_json = report.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!options.publish) {
    sink.Discard();
    quarantine.Discard();
    result.rows_quarantined = record.quarantined;
    return result;
  }
  registry::QualityPublish quality;
  quality.quarantine_files = quarantine.Records(source_name);
  quality.run = record;
  quality.breaker = breaker;
  quality.stream_offsets = options.stream_offsets;
  if (cursor) quality.cursor = cursor();
  if (own != nullptr) {
    for (auto& change : own->Changes()) {
      quality.source_state.push_back(
          {std::move(change.key), std::move(change.expected), std::move(change.value)});
    }
  }
  *ran = record;
  status = repo.registry().PublishChecked(result.ingest_id, result.rows,
                                          sink.Records(source_name), quality);
  if (!status.ok()) {
    sink.Discard();
    quarantine.Discard();
    return status;
  }
  KillPoint("ingest.after_publish");
  result.parts = sink.parts();
  result.rows_quarantined = record.quarantined;
  result.probe = admission.probe;
  result.warnings = report.warnings;
  // Error-level failures that did not stop the run: quarantined rows, reported as warnings.
  for (const auto& failure : report.failures) result.warnings.push_back(failure);
  if (result.rows == 0 && result.rows_quarantined > 0 && !options.verdicts_as_results) {
    return Status::Invalid(path, ": nothing written to source '", source_name, "': all ",
                           result.rows_quarantined, " rows were quarantined (ingest #",
                           result.ingest_id, "); fix the data or the contract, then replay the "
                           "quarantine of '", source_name, "':", Lines(report.failures, ""));
  }
  return result;
}

// Checked, as an OpenLineage run "ingest.SOURCE" (or options.lineage_job; none for a stream's
// micro-batch, docs/lineage.md): the input file (or table, or `dataset` when given) -> the
// source's offline data, with the contract's quality facets on the input.
Result<IngestResult> Run(repo::RepoContext& repo, const definitions::Repo& applied,
                         const definitions::Source& source, const std::string& path,
                         const std::string& hash, connectors::Connector* connector,
                         const IngestOptions& options,
                         const std::optional<lineage::Dataset>& dataset = std::nullopt,
                         const CursorAfterRead& cursor = {}, connectors::SourceInput* own = nullptr) {
  std::optional<registry::QualityRunRecord> ran;
  if (!options.lineage_run) {
    return Checked(repo, applied, source, path, hash, connector, own, options, &ran, cursor);
  }
  const std::string& project = repo.project();
  std::error_code error;
  lineage::Dataset input = dataset.has_value() ? *dataset
                           : std::filesystem::is_regular_file(path, error)
                               ? lineage::FileDataset(path)
                               : lineage::Dataset{project, "input/" + path};
  lineage::Dataset output{project, "offline/" + source.name};
  lineage::LineageRun run(repo.lineage(),
                          options.lineage_job.empty() ? "ingest." + source.name
                                                      : options.lineage_job,
                          {input}, {output});
  auto result = Checked(repo, applied, source, path, hash, connector, own, options, &ran, cursor);
  if (ran.has_value() && source.contract.has_value()) {
    input.input_facets = lineage::QualityFacets(
        nlohmann::json::parse(ran->metrics_json, nullptr, false),
        nlohmann::json::parse(ran->result_json, nullptr, false));
  }
  if (!result.ok()) {
    run.Fail(result.status().message(), {input});
  } else if (!result->verdict.empty()) {
    run.Fail(result->verdict, {input});
  } else {
    output.output_facets = lineage::OutputStatistics(result->rows);
    run.Complete(result->rows, {input}, {output});
  }
  return result;
}

}  // namespace

namespace {

// The published ingest of `source` with content `hash`, as a skipped result (nullopt: none).
Result<std::optional<IngestResult>> Skipped(repo::RepoContext& repo, const std::string& source,
                                            const std::string& input, const std::string& hash) {
  FST_ASSIGN_OR_RAISE(auto earlier, repo.registry().FindPublishedIngest(source, hash));
  if (!earlier.has_value()) return std::nullopt;
  IngestResult result;
  result.input = input;
  result.skipped = true;
  result.ingest_id = earlier->id;
  result.rows = earlier->rows;
  return result;
}

// Reads every batch of `rows` and hashes their Arrow IPC bytes with the schema.
Result<std::pair<std::vector<std::shared_ptr<arrow::RecordBatch>>, std::string>> ReadAndHash(
    arrow::RecordBatchReader& rows) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  std::string digests = rows.schema()->ToString();
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    FST_RETURN_NOT_OK(rows.ReadNext(&batch));
    if (batch == nullptr) break;
    FST_ASSIGN_OR_RAISE(auto bytes, arrow::ipc::SerializeRecordBatch(
                                        *batch, arrow::ipc::IpcWriteOptions::Defaults()));
    digests += core::HashHex(std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                              static_cast<size_t>(bytes->size())));
    batches.push_back(std::move(batch));
  }
  return std::make_pair(std::move(batches), "table:" + core::HashHex(digests));
}

}  // namespace

bool ReadsOwnInput(const definitions::Source& source) {
  if (source.kind == "postgres") return true;
  const connectors::SourceKind* kind = connectors::FindSourceKind(source.kind);
  return kind != nullptr && kind->open != nullptr;
}

Result<IngestResult> IngestFile(repo::RepoContext& repo, const std::string& source_name,
                                const std::string& path, const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  if (ReadsOwnInput(*source)) {
    const std::string pattern = connectors::SourceOption(*source, "path");
    const std::string reads =
        source->kind != "postgres" ? (pattern.empty() ? std::string("its own input")
                                                      : "the files matching '" + pattern + "'")
        : source->table.empty()    ? std::string("its query from the database")
                                   : "table '" + source->table + "' from the database";
    return Status::Invalid("source '", source_name, "' is of kind ", source->kind, ": it reads ",
                           reads, " itself; run `featherstone ingest ", source_name,
                           "` without files (", path, ")");
  }
  FST_ASSIGN_OR_RAISE(auto hash, core::HashFileHex(path));
  FST_ASSIGN_OR_RAISE(auto skipped, Skipped(repo, source_name, path, hash));
  if (skipped.has_value()) return *skipped;
  FST_ASSIGN_OR_RAISE(auto connector,
                      connectors::OpenFile(path, source->format,
                                           ReadSchema(*source, options.per_event), {}));
  return Run(repo, *applied, *source, path, hash, connector.get(), options);
}

Result<IngestResult> IngestTable(repo::RepoContext& repo, const std::string& source_name,
                                 std::shared_ptr<arrow::RecordBatchReader> rows,
                                 const std::string& what, const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  std::string hash;
  if (options.skip_same_content) {
    FST_ASSIGN_OR_RAISE(auto read, ReadAndHash(*rows));
    hash = std::move(read.second);
    FST_ASSIGN_OR_RAISE(auto skipped, Skipped(repo, source_name, what, hash));
    if (skipped.has_value()) return *skipped;
    FST_ASSIGN_OR_RAISE(rows, arrow::RecordBatchReader::Make(std::move(read.first),
                                                             rows->schema()));
  }
  FST_ASSIGN_OR_RAISE(auto connector,
                      connectors::OpenReader(std::move(rows),
                                             ReadSchema(*source, options.per_event), what, {}));
  return Run(repo, *applied, *source, what, hash, connector.get(), options);
}

namespace {

// IngestSource for kind postgres.
Result<IngestResult> IngestPostgres(repo::RepoContext& repo, const std::string& source_name,
                                    bool incremental, const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  if (incremental && source->cursor_column.empty()) {
    return Status::Invalid("source '", source_name, "' has no cursor_column; --incremental "
                           "reads the rows after the last value of that column ingested");
  }
  connectors::PostgresRead read;
  FST_ASSIGN_OR_RAISE(read.dsn, connectors::ExpandEnvironment(
                                    source->dsn, "source '" + source_name + "': dsn"));
  read.table = source->table;
  read.query = source->query;
  read.incremental = incremental;
  read.cursor_column = source->cursor_column;
  std::optional<std::string> expected;
  if (incremental) {
    FST_ASSIGN_OR_RAISE(auto stored, repo.registry().GetSourceCursor(source_name));
    if (stored.has_value()) {
      if (stored->column != source->cursor_column) {
        return Status::Invalid("source '", source_name, "': the stored cursor is of column '",
                               stored->column, "', not cursor_column '",
                               source->cursor_column, "'; ingest without --incremental into "
                               "a new source to start over");
      }
      expected = stored->value;
    }
  }
  read.after = expected;
  const std::string what = source->table.empty()
                               ? "postgres query of source '" + source_name + "'"
                               : "postgres table '" + source->table + "'";
  FST_ASSIGN_OR_RAISE(auto connector,
                      connectors::OpenPostgres(read, ReadSchema(*source, options.per_event),
                                               what, {}));
  const connectors::PostgresServer& server = connector->server();
  // OpenLineage's naming of PostgreSQL datasets: postgres://HOST:PORT, DATABASE.TABLE.
  lineage::Dataset dataset{"postgres://" + server.host + ":" + server.port,
                           server.database + "." +
                               (source->table.empty() ? source_name + ".query" : source->table)};
  CursorAfterRead cursor;
  if (incremental) {
    cursor = [&]() -> std::optional<registry::SourceCursor> {
      auto last = connector->last_cursor();
      if (!last.has_value()) return std::nullopt;  // no new row: the cursor stays
      return registry::SourceCursor{source->cursor_column, expected, *last};
    };
  }
  return Run(repo, *applied, *source, what, "", connector.get(), options, dataset, cursor);
}

// IngestSource for kinds that open their own input (connectors/source_kind.h).
Result<IngestResult> IngestOwnInput(repo::RepoContext& repo, const std::string& source_name,
                                    const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  const connectors::SourceKind* kind = connectors::FindSourceKind(source->kind);
  if (source->kind == "python") {
    return Status::Invalid("source '", source_name, "' is of kind python: its rows come from the "
                           "Python transform ", connectors::SourceOption(*source, "transform"),
                           " over source '", connectors::SourceOption(*source, "input"),
                           "'; run it from Python: FeatureStore(REPO).run_transform('",
                           source_name, "') (docs/connectors.md \"Python transforms\")");
  }
  if (kind == nullptr || kind->open == nullptr) {
    return Status::Invalid("source '", source_name, "' (kind ", source->kind,
                           ") does not read its own input; name the input: featherstone "
                           "ingest ", source_name, " FILE...");
  }
  connectors::SourceContext context;
  context.repo_dir = repo.dir();
  context.now_us = options.now_us != 0 ? options.now_us : core::NowMicros();
  FST_ASSIGN_OR_RAISE(context.state, repo.registry().GetSourceState(source_name));
  FST_ASSIGN_OR_RAISE(auto input,
                      kind->open(*source, ReadSchema(*source, options.per_event), context));
  if (input->Empty()) {
    IngestResult result;
    result.input = input->Describe();
    result.skipped = true;
    return result;
  }
  // Rows of such inputs may be large (a file's content): parts are bounded by bytes too.
  IngestOptions bounded = options;
  bounded.now_us = context.now_us;
  if (bounded.part_bytes == 0) bounded.part_bytes = kSourcePartBytes;
  // A batch may be one large file: reading overlaps writing the part before, no more.
  bounded.prefetch_batches = 0;
  return Run(repo, *applied, *source, input->Describe(), "", input.get(), bounded, std::nullopt,
             {}, input.get());
}

}  // namespace

Result<IngestResult> IngestSource(repo::RepoContext& repo, const std::string& source_name,
                                  bool incremental, const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  if (source->kind == "postgres") return IngestPostgres(repo, source_name, incremental, options);
  if (incremental) {
    return Status::Invalid("source '", source_name, "' (kind ", source->kind,
                           "): --incremental applies to sources with a cursor_column (kind "
                           "postgres); a ", source->kind, " source picks up what is new by itself");
  }
  return IngestOwnInput(repo, source_name, options);
}

}  // namespace fst::ingest
