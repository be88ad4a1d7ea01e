// Pushed events: JSON objects, one per line (stdin of `featherstone push`), ingested through
// the one write path like a file, but without deduplication by content.
#pragma once

#include <string>
#include <string_view>

#include "featherstone/ingest/ingest.h"

namespace fst::ingest {

// Ingests the JSON Lines `text` into `source` (of any kind); `what` names the input in
// messages. Blank lines are skipped. A line that is not a JSON object of the source's schema
// is, with options.per_event, an undecoded input of the run (quarantined with its text and
// "WHAT: line N: ..." as the reason); without, an error. Errors: Invalid "WHAT: line N: ..."
// (without per_event); Invalid when there is no line; those of IngestTable.
Result<IngestResult> PushJsonLines(repo::RepoContext& repo, const std::string& source,
                                   std::string_view text, const std::string& what,
                                   const IngestOptions& options);

}  // namespace fst::ingest
