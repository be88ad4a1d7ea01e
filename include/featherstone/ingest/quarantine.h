// The quarantine store of a source: rows that broke an error-level rule of its contract, kept
// as Parquet files under REPO/.featherstone/quarantine/SOURCE and listed by the registry
// (docs/quality.md "Quarantine").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/table.h>
#include <nlohmann/json.hpp>

#include "featherstone/repo/repo_context.h"

namespace fst::ingest {

// Beside the source's columns (as text) and quality's __row, __rules and __reasons: the raw
// payload of an input that did not decode (binary; null for rows that broke the contract).
// Such a row has rule `decode` and null source columns.
inline constexpr char kPayloadColumn[] = "__payload";
inline constexpr char kDecodeRule[] = "decode";

// Published quarantine files of `source`, oldest first. Errors: KeyError for an unknown source.
Result<std::vector<registry::QuarantineFileRecord>> ListQuarantine(repo::RepoContext& repo,
                                                                   const std::string& source);

// Quarantined rows of `source` as text: __ingest (id), __row, __replayed ("yes"/"no"), __rules,
// __reasons, then the source's columns, then __payload when a row shown has one (bytes that
// are not UTF-8 as \xNN). Rows already replayed are left out unless `include_replayed`; at
// most `limit` rows (0 = all).
Result<std::shared_ptr<arrow::Table>> ShowQuarantine(repo::RepoContext& repo, const std::string& source,
                                                     bool include_replayed, int64_t limit);

// `featherstone quarantine show --json` and GET /api/quarantine: {source, files: [{ingest,
// time, input, rows, replayed}] (ListQuarantine), waiting (rows not replayed), rows: the rows
// of ShowQuarantine as objects of text (null for a null value)}.
// Errors: those of ListQuarantine and ShowQuarantine.
Result<nlohmann::ordered_json> QuarantineJson(repo::RepoContext& repo, const std::string& source,
                                              bool include_replayed, int64_t limit);

struct ReplayOptions {
  int64_t part_rows = 2'000'000;
  int64_t now_us = 0;  // 0 = the wall clock
};

struct ReplayResult {
  int64_t candidates = 0;     // quarantined rows not replayed before
  int64_t replayed = 0;       // now written to the offline store
  int64_t still_failing = 0;  // left in quarantine
  int64_t ingest_id = 0;      // the replay's ingest (0 when nothing was written)
  std::vector<std::string> failures;  // the rules still failing, GE-style summary lines
};

// Re-validates the quarantined rows of `source` not yet replayed against the current contract
// (row-level rules only; run-level rules judged the original run) and ingests those that pass,
// marking them replayed in the same transaction, so each row is written at most once. A row
// kept as a payload (kPayloadColumn) is decoded again under the current schema first; one that
// still does not decode stays quarantined.
// Errors: KeyError for an unknown source; Invalid when a stored value no longer reads as its
// column's type; IOError for I/O.
Result<ReplayResult> ReplayQuarantine(repo::RepoContext& repo, const std::string& source,
                                      const ReplayOptions& options);

}  // namespace fst::ingest
