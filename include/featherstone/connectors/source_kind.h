// The table of source kinds (`kind:` of a source in featherstone.yaml): for each, the YAML
// keys it takes beyond the common ones, its checks at apply, and — for kinds that read their
// own input (`featherstone ingest SOURCE` without a file) — how to open that input.
//
// Adding a source kind is one new file in src/connectors/ defining a `SourceKind` (see
// files_connector.cc) plus one line in source_kinds.cc; docs/connectors.md "Writing a
// connector" walks through it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/connectors/connector.h"
#include "featherstone/definitions/model.h"

namespace fst::connectors {

// What a source kind that reads its own input gets when opened.
struct SourceContext {
  std::string repo_dir;  // the repository directory (relative paths of the source resolve here)
  int64_t now_us = 0;    // the ingest run's time
  // The source's state as last published (key -> value; see SourceInput::Changes).
  std::map<std::string, std::string> state;
  ReadOptions read;
};

// One entry of a source's state to publish with the rows (the registry keeps it:
// registry/source_state.h).
struct StateChange {
  std::string key;
  std::optional<std::string> expected;  // the value at open (nullopt: no entry)
  std::string value;
};

// An input that did not become a row (e.g. a text file that is not UTF-8): a bad row of the
// run, quarantined with `payload` and `reason`.
struct RejectedInput {
  std::string payload;
  std::string reason;
};

// The input of one ingest of a source that reads its own input. Batches come as from any
// Connector (declared columns, declared types, errors naming input, row and column).
class SourceInput : public Connector {
 public:
  // Names the input in messages and records (e.g. "files:docs/**/*.md").
  virtual std::string Describe() const = 0;
  // Whether there is nothing to read (the ingest is skipped and nothing is recorded).
  virtual bool Empty() const = 0;
  // After the last batch: inputs that became no row.
  virtual std::vector<RejectedInput> Rejected() const = 0;
  // After the last batch: the state to store with the publish (so that the next open
  // continues after what this run read, and a crash before the publish reads it again).
  virtual std::vector<StateChange> Changes() const = 0;
};

// A YAML key a kind takes (a scalar string), e.g. {"path", true}.
struct SourceKey {
  std::string_view name;
  bool required = false;
};

struct SourceKind {
  std::string_view kind;
  // The kind-specific keys (in definitions::Source::options). Keys of other kinds are refused.
  std::span<const SourceKey> keys;
  // Checks of a source of this kind at apply beyond its keys (the declared columns, the
  // format, values of its keys); each problem "featherstone.yaml:LINE:COL: message". May be null.
  void (*check)(const definitions::Source& source, std::vector<std::string>* problems) = nullptr;
  // Opens the input of one ingest; null for kinds read otherwise (file: `ingest SOURCE FILE`,
  // push, kafka: `stream`).
  Result<std::unique_ptr<SourceInput>> (*open)(const definitions::Source& source,
                                               const core::Schema& schema,
                                               const SourceContext& context) = nullptr;
};

// Every kind, in the order of source_kinds.cc.
std::span<const SourceKind> SourceKinds();

// The kind named `kind`, or nullptr.
const SourceKind* FindSourceKind(std::string_view kind);

// Appends the problems of `source`: an unknown kind (listing the known ones), a key its kind
// does not take (with the closest one and the list), a required key missing, and the kind's
// own checks; each "featherstone.yaml:LINE:COL: source 'NAME': ...".
void CheckSourceKind(const definitions::Source& source, std::vector<std::string>* problems);

// "featherstone.yaml:LINE:COL" of `location` ("featherstone.yaml" when it has none).
std::string YamlAt(const definitions::Location& location);

// YamlAt of option `key` of `source`, or of the source when the option is absent.
std::string OptionLocation(const definitions::Source& source, std::string_view key);

// The value of option `key` of `source`, or `fallback` when absent.
std::string SourceOption(const definitions::Source& source, std::string_view key,
                         std::string_view fallback = "");

}  // namespace fst::connectors
