// The compiled pattern of regex_match (docs/expressions.md, "Text functions"): PCRE2, compiled
// once when the expression is parsed and matched from any number of threads. PCRE2 rather than
// RE2 because the pyarrow wheel's libarrow_compute exports its own RE2 under Debian's symbol
// names, and rather than std::regex because libstdc++'s matcher recurses once per character
// and overflows the stack on strings of some 100 KB. PCRE2 backtracks on the heap, under a
// match limit. Internal to src/transform.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "featherstone/core/status.h"

namespace fst::transform::internal {

class TextPattern {
 public:
  // Compiles `pattern` (UTF-8, Perl syntax, UTF mode). Errors: Invalid "character N of the
  // pattern: WHAT" (N 1-based, counting characters).
  static Result<std::shared_ptr<const TextPattern>> Compile(const std::string& pattern);
  ~TextPattern();
  TextPattern(const TextPattern&) = delete;
  TextPattern& operator=(const TextPattern&) = delete;

  // Whether the pattern matches somewhere in `text`; nullopt when `text` is not valid UTF-8 or
  // the match gives up at PCRE2's match limit (a pattern that backtracks without end).
  std::optional<bool> Search(std::string_view text) const;

 private:
  explicit TextPattern(void* code) : code_(code) {}
  void* code_;  // pcre2_code_8
};

}  // namespace fst::transform::internal
