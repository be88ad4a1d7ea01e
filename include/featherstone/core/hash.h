// Content hashes (XXH3-128, hex): spec hashes of definitions and file identities for
// idempotent ingestion. Not cryptographic.
#pragma once

#include <string>
#include <string_view>

#include "featherstone/core/status.h"

namespace fst::core {

// Hex digest of `data`.
std::string HashHex(std::string_view data);

// Hex digest of the bytes of the file at `path`, read in chunks.
// Errors: IOError naming the path.
Result<std::string> HashFileHex(const std::string& path);

}  // namespace fst::core
