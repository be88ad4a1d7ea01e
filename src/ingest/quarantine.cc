#include "featherstone/ingest/quarantine.h"

#include <map>
#include <set>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/util/utf8.h>

#include "featherstone/connectors/json_messages.h"
#include "featherstone/core/time.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/quality/validator.h"
#include "part_sink.h"

namespace fst::ingest {

namespace internal {
core::Schema NullableSchema(const definitions::Source& source);  // push.cc
}  // namespace internal

namespace {

using Marks = std::set<std::pair<std::string, int64_t>>;

Result<Marks> ReplayedRows(repo::RepoContext& repo, const std::string& source) {
  FST_ASSIGN_OR_RAISE(auto list, repo.registry().ListReplayed(source));
  Marks marks;
  for (const auto& mark : list) marks.emplace(mark.path, mark.row);
  return marks;
}

// A payload as text for a terminal: UTF-8 as it is, other bytes as \xNN.
std::string PayloadText(std::string_view bytes) {
  if (arrow::util::ValidateUTF8(bytes)) return std::string(bytes);
  std::string out;
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

Result<std::shared_ptr<arrow::Array>> Strings(const std::vector<std::string>& values) {
  arrow::StringBuilder builder;
  FST_RETURN_NOT_OK(builder.AppendValues(values));
  return builder.Finish();
}

}  // namespace

Result<std::vector<registry::QuarantineFileRecord>> ListQuarantine(repo::RepoContext& repo,
                                                                   const std::string& source) {
  FST_RETURN_NOT_OK(repo.AppliedSource(source).status());
  return repo.registry().ListQuarantineFiles(source);
}

Result<std::shared_ptr<arrow::Table>> ShowQuarantine(repo::RepoContext& repo, const std::string& source,
                                                     bool include_replayed, int64_t limit) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* found, repo.AppliedSource(source));
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListQuarantineFiles(source));
  FST_ASSIGN_OR_RAISE(Marks marks, ReplayedRows(repo, source));
  std::vector<std::string> names;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& column : found->schema) {
    names.push_back(column.name);
    types.push_back(column.type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8());
  }
  names.push_back(quality::kRowColumn);
  types.push_back(arrow::int64());
  names.push_back(quality::kRulesColumn);
  types.push_back(arrow::utf8());
  names.push_back(quality::kReasonsColumn);
  types.push_back(arrow::utf8());
  names.push_back(kPayloadColumn);
  types.push_back(arrow::binary());

  std::vector<std::string> ingest, row, replayed, rules, reasons, payloads;
  bool any_payload = false;
  std::vector<std::vector<std::string>> values(found->schema.size());
  int64_t shown = 0;
  for (const auto& file : files) {
    if (limit > 0 && shown >= limit) break;
    const std::string path = repo.QuarantineRoot() + "/" + file.path;
    FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(repo.fs(), path, names, types));
    FST_ASSIGN_OR_RAISE(auto batch, table->CombineChunksToBatch());
    const auto& rows =
        static_cast<const arrow::Int64Array&>(*batch->GetColumnByName(quality::kRowColumn));
    const auto& rule_text =
        static_cast<const arrow::StringArray&>(*batch->GetColumnByName(quality::kRulesColumn));
    const auto& reason_text =
        static_cast<const arrow::StringArray&>(*batch->GetColumnByName(quality::kReasonsColumn));
    const auto& payload =
        static_cast<const arrow::BinaryArray&>(*batch->GetColumnByName(kPayloadColumn));
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      if (limit > 0 && shown >= limit) break;
      const bool done = marks.contains({file.path, rows.Value(i)});
      if (done && !include_replayed) continue;
      ++shown;
      ingest.push_back(std::to_string(file.ingest_id));
      row.push_back(std::to_string(rows.Value(i)));
      replayed.push_back(done ? "yes" : "no");
      rules.push_back(std::string(rule_text.GetView(i)));
      reasons.push_back(std::string(reason_text.GetView(i)));
      any_payload = any_payload || payload.IsValid(i);
      payloads.push_back(payload.IsValid(i) ? PayloadText(payload.GetView(i)) : "");
      for (size_t c = 0; c < found->schema.size(); ++c) {
        const auto& column =
            static_cast<const arrow::BinaryArray&>(*batch->column(static_cast<int>(c)));
        values[c].push_back(column.IsNull(i) ? "" : std::string(column.GetView(i)));
      }
    }
  }
  arrow::FieldVector fields;
  arrow::ArrayVector columns;
  auto add = [&](const std::string& name, const std::vector<std::string>& column) -> Status {
    fields.push_back(arrow::field(name, arrow::utf8()));
    FST_ASSIGN_OR_RAISE(auto array, Strings(column));
    columns.push_back(array);
    return Status::OK();
  };
  FST_RETURN_NOT_OK(add("__ingest", ingest));
  FST_RETURN_NOT_OK(add(quality::kRowColumn, row));
  FST_RETURN_NOT_OK(add("__replayed", replayed));
  FST_RETURN_NOT_OK(add(quality::kRulesColumn, rules));
  FST_RETURN_NOT_OK(add(quality::kReasonsColumn, reasons));
  for (size_t c = 0; c < found->schema.size(); ++c) {
    FST_RETURN_NOT_OK(add(found->schema[c].name, values[c]));
  }
  if (any_payload) FST_RETURN_NOT_OK(add(kPayloadColumn, payloads));
  return arrow::Table::Make(arrow::schema(fields), columns, shown);
}

Result<ReplayResult> ReplayQuarantine(repo::RepoContext& repo, const std::string& source_name,
                                      const ReplayOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListQuarantineFiles(source_name));
  FST_ASSIGN_OR_RAISE(Marks marks, ReplayedRows(repo, source_name));
  const int64_t now = options.now_us != 0 ? options.now_us : core::NowMicros();
  ReplayResult result;

  offline::PartLayout layout;
  layout.sort_keys = internal::SortKeysFor(*applied, *source);
  layout.ts_column = source->timestamp_field;
  layout.created_column = source->created_timestamp_field;
  quality::ValidatorOptions validator_options;
  validator_options.required_columns = layout.sort_keys;
  validator_options.required_columns.push_back(layout.ts_column);
  validator_options.row_rules_only = true;
  validator_options.build_quarantine = false;
  FST_ASSIGN_OR_RAISE(auto validator, quality::Validator::Make(*source, validator_options));

  // Candidate k (1-based, the validator's row number) is row rows[k-1] of file paths[k-1].
  std::vector<std::pair<std::string, int64_t>> candidates;
  std::vector<std::pair<std::shared_ptr<arrow::RecordBatch>, std::shared_ptr<arrow::Int64Array>>>
      batches;
  // Rows kept as payloads are decoded again under the current schema.
  connectors::JsonMessageDecoder decoder(internal::NullableSchema(*source));
  arrow::Int64Builder decoded_numbers;
  int64_t undecodable = 0;
  std::string first_undecodable;
  for (const auto& file : files) {
    if (file.replayed_rows >= file.rows) continue;
    FST_ASSIGN_OR_RAISE(auto batch, internal::ReadQuarantineFile(
                                        repo.fs(), repo.QuarantineRoot() + "/" + file.path,
                                        source->schema));
    const auto& rows =
        static_cast<const arrow::Int64Array&>(*batch->GetColumnByName(quality::kRowColumn));
    const auto& payloads =
        static_cast<const arrow::BinaryArray&>(*batch->GetColumnByName(kPayloadColumn));
    std::vector<int32_t> keep;
    arrow::Int64Builder numbers;
    for (int64_t i = 0; i < batch->num_rows(); ++i) {
      if (marks.contains({file.path, rows.Value(i)})) continue;
      candidates.emplace_back(file.path, rows.Value(i));
      const auto number = static_cast<int64_t>(candidates.size());
      if (payloads.IsValid(i)) {
        Status decoded = decoder.Add(payloads.GetView(i), [&] {
          return "quarantine file " + file.path + " row " + std::to_string(rows.Value(i));
        });
        if (decoded.ok()) {
          FST_RETURN_NOT_OK(decoded_numbers.Append(number));
        } else if (undecodable++ == 0) {
          first_undecodable = decoded.message();
        }
        continue;
      }
      keep.push_back(static_cast<int32_t>(i));
      FST_RETURN_NOT_OK(numbers.Append(number));
    }
    if (keep.empty()) continue;
    arrow::Int32Builder indices;
    FST_RETURN_NOT_OK(indices.AppendValues(keep));
    FST_ASSIGN_OR_RAISE(auto index_array, indices.Finish());
    FST_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(arrow::Datum(batch), index_array));
    FST_ASSIGN_OR_RAISE(auto number_array, numbers.Finish());
    batches.emplace_back(taken.record_batch(),
                         std::static_pointer_cast<arrow::Int64Array>(number_array));
  }
  if (decoder.rows() > 0) {
    FST_ASSIGN_OR_RAISE(auto decoded, decoder.Finish());
    // The decoder names columns by path; the validator and the parts by name.
    arrow::FieldVector fields;
    for (const auto& column : source->schema) {
      fields.push_back(arrow::field(column.name, core::ToArrowType(column.type)));
    }
    FST_ASSIGN_OR_RAISE(auto numbers, decoded_numbers.Finish());
    batches.emplace_back(arrow::RecordBatch::Make(arrow::schema(std::move(fields)),
                                                  decoded->num_rows(), decoded->columns()),
                         std::static_pointer_cast<arrow::Int64Array>(numbers));
  }
  result.candidates = static_cast<int64_t>(candidates.size());
  if (candidates.empty()) return result;

  FST_ASSIGN_OR_RAISE(result.ingest_id,
                      repo.registry().BeginIngest(source_name, "quarantine replay",
                                                  "replay:" + std::to_string(now)));
  internal::PartSink sink(repo.fs(), repo.OfflineRoot() + "/" + source_name, result.ingest_id,
                          layout, repo.threads() > 1);
  registry::QualityPublish quality;
  auto add_good = [&](const quality::RowSet& good) -> Status {
    if (good.batch == nullptr || good.batch->num_rows() == 0) return Status::OK();
    // Keep the declared columns only (drop __row, __rules, __reasons).
    std::vector<int> declared;
    for (const auto& column : source->schema) {
      declared.push_back(good.batch->schema()->GetFieldIndex(column.name));
    }
    FST_ASSIGN_OR_RAISE(auto columns, good.batch->SelectColumns(declared));
    FST_ASSIGN_OR_RAISE(auto with_seq, internal::WithSeq(columns, result.ingest_id, *good.rows));
    for (int64_t i = 0; i < good.rows->length(); ++i) {
      const auto& [path, row] = candidates[static_cast<size_t>(good.rows->Value(i) - 1)];
      quality.replayed.push_back({path, row});
    }
    result.replayed += with_seq->num_rows();
    return sink.Add(with_seq, options.part_rows);
  };
  quality::RunReport report;
  auto run = [&]() -> Status {
    for (const auto& [batch, numbers] : batches) {
      FST_ASSIGN_OR_RAISE(auto checked, validator->Add(batch, 0, numbers));
      FST_RETURN_NOT_OK(add_good(checked.good));
    }
    FST_ASSIGN_OR_RAISE(auto finished, validator->Finish(now));
    for (const auto& good : finished.good) FST_RETURN_NOT_OK(add_good(good));
    report = std::move(finished.report);
    if (undecodable > 0) {
      report.rows += undecodable;
      report.success = false;
      report.failures.push_back(std::string(kDecodeRule) + ": " + std::to_string(undecodable) +
                                " rows still do not decode as the source's schema; first: " +
                                first_undecodable);
    }
    FST_RETURN_NOT_OK(sink.Flush());
    registry::QualityRunRecord record;
    record.source = source_name;
    record.input = "quarantine replay";
    record.run_at = now;
    record.outcome = "replay";
    record.rows = report.rows;
    record.written = result.replayed;
    record.quarantined = report.rows - result.replayed;
    record.success = report.success;
    report.result["meta"]["input"] = "quarantine replay";
    report.result["meta"]["outcome"] = "replay";
    record.result_json =
        report.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    record.metrics_json =
        report.metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    quality.run = record;
    return repo.registry().PublishChecked(result.ingest_id, result.replayed,
                                          sink.Records(source_name), quality);
  };
  Status status = run();
  if (!status.ok()) {
    sink.Discard();
    return status;
  }
  result.still_failing = result.candidates - result.replayed;
  result.failures = report.failures;
  return result;
}

Result<nlohmann::ordered_json> QuarantineJson(repo::RepoContext& repo, const std::string& source,
                                              bool include_replayed, int64_t limit) {
  FST_ASSIGN_OR_RAISE(auto files, ListQuarantine(repo, source));
  FST_ASSIGN_OR_RAISE(auto rows, ShowQuarantine(repo, source, include_replayed, limit));
  using ojson = nlohmann::ordered_json;
  ojson out = {{"source", source}, {"files", ojson::array()}};
  int64_t waiting = 0;
  for (const auto& file : files) {
    waiting += file.rows - file.replayed_rows;
    out["files"].push_back({{"ingest", file.ingest_id},
                            {"time", core::FormatTimestamp(file.published_at)},
                            {"input", file.input},
                            {"rows", file.rows},
                            {"replayed", file.replayed_rows}});
  }
  out["waiting"] = waiting;
  out["rows"] = ojson::array();
  FST_ASSIGN_OR_RAISE(auto flat, rows->CombineChunks());
  for (int64_t i = 0; i < flat->num_rows(); ++i) {
    ojson row = ojson::object();
    for (int c = 0; c < flat->num_columns(); ++c) {
      const auto& column = static_cast<const arrow::StringArray&>(*flat->column(c)->chunk(0));
      row[flat->field(c)->name()] =
          column.IsNull(i) ? ojson(nullptr) : ojson(std::string(column.GetView(i)));
    }
    out["rows"].push_back(std::move(row));
  }
  return out;
}

}  // namespace fst::ingest
