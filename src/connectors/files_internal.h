// The parts of the files source (files_connector.cc) its unit tests reach. Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::connectors::internal {

// Whether `path` ('/'-separated) matches `pattern`: `*` any characters but '/', `?` one,
// `[abc]`, `[a-z]`, `[!a]` one of (not of) a set, `**` as a whole segment any number of
// directories (zero included). Naive recursion; paths and patterns are short.
bool GlobMatch(std::string_view pattern, std::string_view path);

struct ListedFile {
  std::string name;  // as the pattern names it: relative to `base` when the pattern is
  std::string full;  // the path to open
};

// The regular files matching `pattern` (relative to `base`, or absolute), sorted by name;
// directories named .featherstone are not entered. A missing directory lists nothing.
// Errors: IOError naming a directory that cannot be read.
Result<std::vector<ListedFile>> ListGlob(const std::string& base, const std::string& pattern);

// The media type of a file named `name` whose content starts with `head`: by magic bytes,
// then by extension, then text/plain for valid UTF-8 (`utf8`) and application/octet-stream.
std::string MediaType(std::string_view name, std::string_view head, bool utf8);

}  // namespace fst::connectors::internal
