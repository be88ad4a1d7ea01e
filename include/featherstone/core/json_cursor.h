// A cursor over JSON text for the hand-written scanners of hot paths (a request body, a feature
// log line). Each step takes one token when it is next and says whether it did; a scanner that
// meets anything unusual gives up and leaves the text to a full parser, so only the plain forms
// are read here. Whitespace before a token is skipped.
#pragma once

#include <string_view>

namespace fst::core {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  // Takes `c` when it is next.
  bool Take(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // Where the next token starts.
  const char* Position() {
    SkipSpace();
    return p_;
  }
  // Takes `word` (null, true, false) when it is next.
  bool Word(std::string_view word) {
    SkipSpace();
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }
  // A string without escapes or control characters, its text without the quotes; with
  // `printable_ascii`, of bytes 0x20-0x7e only (else other bytes are the caller's to check).
  bool PlainString(std::string_view* out, bool printable_ascii = false) {
    if (!Take('"')) return false;
    const char* start = p_;
    while (p_ != end_ && *p_ != '"') {
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c == '\\' || (printable_ascii && c >= 0x7f)) return false;
      ++p_;
    }
    if (p_ == end_) return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  // [item, ...], each read by item(); false as soon as one is not.
  template <typename Item>
  bool Array(Item&& item) {
    if (!Take('[')) return false;
    if (Take(']')) return true;
    do {
      if (!item()) return false;
    } while (Take(','));
    return Take(']');
  }

 protected:
  void SkipSpace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  // Takes the digits next; false when there are none.
  bool SkipDigits() {
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  const char* p_;
  const char* end_;
};

}  // namespace fst::core
