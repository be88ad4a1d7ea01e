#include "featherstone/definitions/log_source_name.h"

namespace fst::definitions {

std::string LogSourceName(const std::string& service) { return service + kLogSuffix; }

std::string LoggedService(const Repo& repo, const std::string& source) {
  if (!source.ends_with(kLogSuffix)) return "";
  const std::string service = source.substr(0, source.size() - (sizeof(kLogSuffix) - 1));
  return repo.FindService(service) != nullptr ? service : "";
}

}  // namespace fst::definitions
