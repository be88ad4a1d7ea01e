// What a source that reads its own input has read (connectors/source_kind.h), kept in the
// registry per (source, key): e.g. for a files source, each file's path and the content hash
// last published. Written only in the transaction that publishes the rows read, so a crash
// before it leaves the state as it was and the next ingest reads the same input again.
#pragma once

#include <optional>
#include <string>

namespace fst::registry {

// One entry a publish sets.
struct SourceStateChange {
  std::string key;
  // The stored value the read began from (nullopt: no entry). The write fails
  // (Status::Cancelled) unless the stored value still equals it, so two ingests of the same
  // source cannot both publish the same change.
  std::optional<std::string> expected;
  std::string value;
};

}  // namespace fst::registry
