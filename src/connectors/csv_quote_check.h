// Quote checking and row location for CSV input, read with Arrow's rules (fields separated by
// a delimiter, a field starting with '"' is quoted, "" inside it is a quote, line breaks inside
// it are data, empty lines are skipped). Arrow accepts an unbalanced quote silently: the
// quoted field runs on to the next quote or to the end of the file, swallowing rows. These
// classes find such quotes and say which row they are in. Internal to src/connectors.
#pragma once

#include <cstdint>

namespace fst::connectors::internal {

// Incremental check over the raw bytes. Fails where a quoted field closes and something other
// than a delimiter or a line break follows, or at the end while a quoted field is open.
// A quote inside an unquoted field is data, as in Arrow. Not thread-safe.
class CsvQuoteChecker {
 public:
  explicit CsvQuoteChecker(char delimiter = ',') : delimiter_(delimiter) {}

  // Checks the next `size` bytes; false at the first misplaced closing quote (error_offset()).
  bool Consume(const uint8_t* data, int64_t size);
  // Checks the end of the input; false when a quoted field is still open.
  bool Finish() const { return state_ != State::kQuoted; }

  bool in_quoted_field() const { return state_ == State::kQuoted; }
  // Bytes consumed so far.
  int64_t consumed() const { return offset_; }
  // Byte offset of the opening quote of the last quoted field seen.
  int64_t quote_offset() const { return quote_offset_; }
  // Byte offset of the byte that made Consume fail.
  int64_t error_offset() const { return error_offset_; }

 private:
  enum class State { kOutside, kQuoted, kAfterQuote };

  char delimiter_;
  State state_ = State::kOutside;
  uint8_t last_byte_ = '\n';
  int64_t offset_ = 0;
  int64_t bom_end_ = 0;
  int64_t quote_offset_ = -1;
  int64_t error_offset_ = -1;
};

// Counts rows and lines over a prefix of the input.
class CsvRowCounter {
 public:
  explicit CsvRowCounter(char delimiter = ',') : delimiter_(delimiter) {}

  // Feeds the next `size` bytes.
  void Consume(const uint8_t* data, int64_t size);
  // The 1-based row (the header is row 1; empty lines do not count) and physical line that the
  // next byte belongs to.
  int64_t row() const { return rows_done_ + 1; }
  int64_t line() const { return line_breaks_ + 1; }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

  char delimiter_;
  State state_ = State::kFieldStart;
  bool row_has_content_ = false;
  bool after_cr_ = false;
  int64_t offset_ = 0;
  int64_t rows_done_ = 0;
  int64_t line_breaks_ = 0;
};

}  // namespace fst::connectors::internal
