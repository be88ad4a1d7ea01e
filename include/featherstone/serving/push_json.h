// The body of POST /push: rows for a source as JSON columns (Feast's "df"), turned into one
// JSON object per row for the library's push path (ingest::PushJsonLines), which reads them as
// `featherstone push` and streams do: by column name, converted to the source's types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "featherstone/core/status.h"

namespace fst::serving {

// Where pushed rows go. The online store is derived from the offline store (one write path),
// so every target writes the offline store; the online ones then refresh the online store.
enum class PushTarget { kOffline, kOnline, kOnlineAndOffline };

struct PushRequest {
  std::string source;
  PushTarget to = PushTarget::kOnlineAndOffline;
  std::string events;  // JSON Lines: line N is row N of df (1-based)
  int64_t rows = 0;
};

// Parses {"push_source_name" | "source": NAME, "df": {column: [values]}, "to": "offline" |
// "online" | "online_and_offline"}. Values are passed on as they are (typing is the push
// path's). Errors: Invalid naming the field: malformed JSON, a missing name or df, columns of
// different lengths, no rows, an unknown target or field.
Result<PushRequest> ParsePushRequest(std::string_view body);

}  // namespace fst::serving
