#include "featherstone/ingest/push.h"

#include <arrow/record_batch.h>

#include "featherstone/connectors/json_messages.h"

namespace fst::ingest {

namespace internal {
// The source's schema with every column nullable: IngestTable checks nullability (or, with a
// contract, quarantines the row), with row numbers, after decoding.
core::Schema NullableSchema(const definitions::Source& source);
}  // namespace internal

core::Schema internal::NullableSchema(const definitions::Source& source) {
  core::Schema schema = source.schema;
  for (auto& column : schema) column.nullable = true;
  return schema;
}

Result<IngestResult> PushJsonLines(repo::RepoContext& repo, const std::string& source_name,
                                   std::string_view text, const std::string& what,
                                   const IngestOptions& options) {
  FST_ASSIGN_OR_RAISE(const definitions::Source* source, repo.AppliedSource(source_name));
  constexpr int64_t kBatchRows = 1 << 16;
  IngestOptions ingest_options = options;
  // A pushed batch is an OpenLineage run of its own (docs/lineage.md), whoever pushed it: the
  // CLI, Python and POST /push all come through here.
  if (ingest_options.lineage_job.empty()) ingest_options.lineage_job = "push." + source_name;
  connectors::JsonMessageDecoder decoder(internal::NullableSchema(*source));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  int64_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    Status decoded =
        decoder.Add(line, [&] { return what + ": line " + std::to_string(line_number); });
    if (!decoded.ok()) {
      if (!options.per_event) return decoded;
      ingest_options.undecoded.push_back({std::string(line), decoded.message()});
    }
    if (decoder.rows() == kBatchRows) {
      FST_ASSIGN_OR_RAISE(auto batch, decoder.Finish());
      batches.push_back(std::move(batch));
    }
  }
  FST_ASSIGN_OR_RAISE(auto last, decoder.Finish());
  if (last->num_rows() > 0 || batches.empty()) batches.push_back(last);
  if (batches.size() == 1 && batches[0]->num_rows() == 0 && ingest_options.undecoded.empty()) {
    return Status::Invalid(what, ": no events (expected one JSON object per line)");
  }
  FST_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make(batches, last->schema()));
  return IngestTable(repo, source_name, std::move(reader), what, ingest_options);
}

}  // namespace fst::ingest
