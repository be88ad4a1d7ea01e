// The body of POST /push: rows for a source as JSON columns (Feast's "df"), turned into one
// JSON object per row for the library's push path (ingest::PushJsonLines), which reads them as
// `featherstone push` and streams do: by column name, converted to the source's types. And
// the answer of a push.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "featherstone/core/status.h"
#include "featherstone/retrieval/materialize.h"

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
// The same, of a parsed document (the gRPC transport builds one from its request, so both
// give the same checks and messages). Errors: those of ParsePushRequest but malformed JSON.
Result<PushRequest> PushRequestFromJson(const nlohmann::ordered_json& doc);

// What a push did.
struct PushAnswer {
  int64_t rows_written = 0;
  int64_t rows_quarantined = 0;
  int64_t ingest_id = 0;
  std::vector<std::string> warnings;
  std::vector<retrieval::ViewMaterialized> materialized;  // empty for PushTarget::kOffline
};

// {"rows_written": N, "rows_quarantined": N, "ingest_id": N, "warnings": [...],
// "materialized": [{"view": V, "keys_written": N}]}.
std::string BuildPushResponse(const PushAnswer& answer);

}  // namespace fst::serving
