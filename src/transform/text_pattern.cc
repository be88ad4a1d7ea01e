#include "text_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace fst::transform::internal {
namespace {

pcre2_code* Code(void* code) { return static_cast<pcre2_code*>(code); }

// Match data for one thread, grown to the pattern's needs, freed at thread exit.
struct MatchData {
  pcre2_match_data* data = nullptr;
  ~MatchData() { pcre2_match_data_free(data); }
};

}  // namespace

Result<std::shared_ptr<const TextPattern>> TextPattern::Compile(const std::string& pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF,
                    &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    int character = 1;
    for (size_t i = 0; i < offset && i < pattern.size(); ++i) {
      character += (static_cast<unsigned char>(pattern[i]) & 0xC0) != 0x80;
    }
    return Status::Invalid("character ", character, " of the pattern: ",
                           reinterpret_cast<const char*>(message));
  }
  return std::shared_ptr<const TextPattern>(new TextPattern(code));
}

TextPattern::~TextPattern() { pcre2_code_free(Code(code_)); }

std::optional<bool> TextPattern::Search(std::string_view text) const {
  thread_local MatchData match;
  if (match.data == nullptr) match.data = pcre2_match_data_create(1, nullptr);
  const int rc = pcre2_match(Code(code_), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                             0, 0, match.data, nullptr);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  return std::nullopt;
}

}  // namespace fst::transform::internal
