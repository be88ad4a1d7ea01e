#include "csv_quote_check.h"

#include <cstring>

namespace fst::connectors::internal {
namespace {

constexpr uint8_t kQuote = '"';
constexpr uint8_t kBom[] = {0xEF, 0xBB, 0xBF};

bool IsLineBreak(uint8_t c) { return c == '\n' || c == '\r'; }

// Length of a UTF-8 byte order mark at the start of the input, which Arrow skips.
int64_t BomLength(int64_t offset, const uint8_t* data, int64_t size) {
  return offset == 0 && size >= 3 && std::memcmp(data, kBom, 3) == 0 ? 3 : 0;
}

}  // namespace

bool CsvQuoteChecker::Consume(const uint8_t* data, int64_t size) {
  if (size == 0) return true;
  int64_t i = BomLength(offset_, data, size);
  if (i > 0) bom_end_ = i;
  while (i < size) {
    switch (state_) {
      case State::kOutside: {
        const void* found = std::memchr(data + i, kQuote, size - i);
        if (found == nullptr) {
          i = size;
          break;
        }
        const int64_t j = static_cast<const uint8_t*>(found) - data;
        const uint8_t before = j > 0 ? data[j - 1] : last_byte_;
        if (offset_ + j == bom_end_ || before == delimiter_ || IsLineBreak(before)) {
          state_ = State::kQuoted;
          quote_offset_ = offset_ + j;
        }
        i = j + 1;
        break;
      }
      case State::kQuoted: {
        const void* found = std::memchr(data + i, kQuote, size - i);
        if (found == nullptr) {
          i = size;
          break;
        }
        state_ = State::kAfterQuote;
        i = static_cast<const uint8_t*>(found) - data + 1;
        break;
      }
      case State::kAfterQuote: {
        const uint8_t c = data[i];
        if (c == kQuote) {
          state_ = State::kQuoted;
        } else if (c == delimiter_ || IsLineBreak(c)) {
          state_ = State::kOutside;
        } else {
          error_offset_ = offset_ + i;
          return false;
        }
        ++i;
        break;
      }
    }
  }
  last_byte_ = data[size - 1];
  offset_ += size;
  return true;
}

void CsvRowCounter::Consume(const uint8_t* data, int64_t size) {
  for (int64_t i = BomLength(offset_, data, size); i < size; ++i) {
    const uint8_t c = data[i];
    const bool cr_lf = after_cr_ && c == '\n';
    after_cr_ = c == '\r';
    if (IsLineBreak(c)) {
      if (!cr_lf) ++line_breaks_;
      if (state_ == State::kQuoted) continue;
      if (row_has_content_) ++rows_done_;
      row_has_content_ = false;
      state_ = State::kFieldStart;
      continue;
    }
    row_has_content_ = true;
    switch (state_) {
      case State::kFieldStart:
        state_ = c == kQuote ? State::kQuoted
                             : (c == delimiter_ ? State::kFieldStart : State::kUnquoted);
        break;
      case State::kUnquoted:
        if (c == delimiter_) state_ = State::kFieldStart;
        break;
      case State::kQuoted:
        if (c == kQuote) state_ = State::kAfterQuote;
        break;
      case State::kAfterQuote:
        state_ = c == kQuote ? State::kQuoted
                             : (c == delimiter_ ? State::kFieldStart : State::kUnquoted);
        break;
    }
  }
  offset_ += size;
}

}  // namespace fst::connectors::internal
