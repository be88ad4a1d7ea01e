// Generated entity rows ("spines") for training sets without an entity file
// (docs/python.md and docs/cli.md "historical"): the rows are made from the registry's keys and
// the data's time range, a chunk at a time, so a spine of any size needs memory for one chunk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/table.h>

#include "featherstone/retrieval/historical.h"

namespace fst::retrieval {

// Where the entity rows come from: exactly one of `entity` (the "every" form) and `source`.
struct Spine {
  // "every STEP [from T1] [to T2] for all ENTITY": every key of ENTITY found in the offline
  // data of the requested views keyed by ENTITY alone, at T1, T1 + STEP, ... up to T2
  // inclusive; T1 and T2 default to the earliest and latest event time of that data. Rows
  // come key by key in ascending key order, times ascending within a key.
  std::string entity;
  int64_t step_us = 0;
  std::optional<int64_t> from_us;
  std::optional<int64_t> to_us;
  // A source's stored rows, each at its `at_column` (default: the source's timestamp field):
  // the requested views' join keys and that time, in the order the offline store holds them.
  // Rows whose time is null are left out and counted (SpineResult::skipped_rows).
  std::string source;
  std::string at_column;
};

// Parses "every 1d [from 2026-01-01] [to 2026-03-01T12:00:00Z] for all customer" (words in that
// order; times as core::ParseTimestamp reads them, durations as core::ParseDuration).
// Errors: Invalid quoting the text, naming the word at fault and giving the form.
Result<Spine> ParseSpine(const std::string& text);

// The spine's entity rows, `chunk_rows` (> 0) at a time: the join key columns typed as their
// sources declare them, then options.timestamp_column. Next() gives nullptr at the end; the
// first call always gives a chunk (perhaps empty), so the columns are known.
class SpineReader {
 public:
  virtual ~SpineReader() = default;
  virtual Result<std::shared_ptr<arrow::Table>> Next() = 0;
  // Rows the spine will give in all (the "every" form), or an upper bound (a source's stored
  // rows, before rows with a null time are left out).
  virtual int64_t total_rows() const = 0;
  // Rows of the source left out so far because their time is null.
  virtual int64_t skipped_rows() const = 0;
};

// Opens the spine for `refs`. Memory: one chunk, plus (the "every" form) one key per distinct
// key. Errors: KeyError for an unknown entity, source or column; Invalid when no requested view
// is keyed by the entity alone, or the source lacks a join key the requested views need
// (naming both), or the step is not positive, or `to` is before `from`.
Result<std::unique_ptr<SpineReader>> OpenSpine(repo::RepoContext& repo, const Spine& spine,
                                               const std::vector<definitions::FeatureRef>& refs,
                                               const HistoricalOptions& options,
                                               int64_t chunk_rows);

}  // namespace fst::retrieval
