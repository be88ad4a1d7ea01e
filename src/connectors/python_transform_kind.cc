// Kind python: a source whose rows a Python function computes from the rows of another source
// (`transform: MODULE:FUNCTION`, `input: SOURCE`). The Python SDK runs it
// (FeatureStore.run_transform, docs/connectors.md "Python transforms"); the engine stores the
// definition, so the registry, catalog and lineage show the source as a Python transform.
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/connectors/source_kind.h"

namespace fst::connectors {
namespace {

constexpr SourceKey kKeys[] = {{"transform", true}, {"input", true}};

bool IsIdentifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// MODULE:FUNCTION, MODULE dotted identifiers.
bool IsTransformName(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || !IsIdentifier(text.substr(colon + 1))) return false;
  std::string_view module = text.substr(0, colon);
  while (true) {
    const size_t dot = module.find('.');
    if (!IsIdentifier(module.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    module.remove_prefix(dot + 1);
  }
}

void Check(const definitions::Source& source, std::vector<std::string>* problems) {
  const std::string transform = SourceOption(source, "transform");
  if (!transform.empty() && !IsTransformName(transform)) {
    problems->push_back(OptionLocation(source, "transform") + ": source '" + source.name +
                        "': transform '" + transform +
                        "' is not MODULE:FUNCTION (e.g. embed:embed_documents, a function of "
                        "embed.py in the repository folder)");
  }
  if (!source.format.empty()) {
    problems->push_back(OptionLocation(source, "format") + ": source '" + source.name +
                        "': format applies to sources read from files; a python source's rows "
                        "come from its transform");
  }
}

}  // namespace

const SourceKind& PythonTransformKind() {
  static const SourceKind kind{"python", kKeys, &Check, nullptr};
  return kind;
}

}  // namespace fst::connectors
