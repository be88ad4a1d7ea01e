// Publishing the feature log as Parquet: a sealed JSONL part of `featherstone serve`
// (serving/feature_log.h) becomes, per service, one ingest of the service's log source
// `<service>__log` (features/log_source.h) through the one write path (ingest::IngestTable), then
// the part is deleted. Protocol and crash behaviour: docs/impl.md "Feature log".
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <arrow/record_batch.h>

#include "featherstone/feedback/feature_log_reader.h"
#include "featherstone/features/log_source.h"
#include "featherstone/repo/repo_context.h"

namespace fst::feedback {

// Publishes the sealed part at `part` (a path on repo.fs()) and deletes it. Records served by a
// service whose applied definition has the same feature list go to that service's log source,
// one ingest per service, deduplicated by content (a retry after a crash publishes nothing
// twice); the others (requests by feature list, services changed or removed since, lines that
// do not parse) are kept as text in PART.kept.jsonl beside it (written whole, then renamed).
// Errors: IOError for I/O; those of ingest::IngestTable. On an error the part stays.
Status PublishLogPart(repo::RepoContext& repo, const std::string& part);

// A publisher for serving::FeatureLogOptions::publish: PublishLogPart on a context of its own
// for the repo at `repo_dir`, opened at its first call (so it reads the definitions applied
// when the server starts, as the server does). Calls must not overlap (the log's one writer).
// Its errors: those of RepoContext::Open and PublishLogPart.
std::function<Status(const std::string& part)> LogPublisher(const std::string& repo_dir);

}  // namespace fst::feedback
