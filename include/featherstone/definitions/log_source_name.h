// The name of the source that holds a feature service's log once `serve` publishes it
// (features/log_source.h derives its schema; docs/impl.md "Feature log"): a naming rule of the
// definitions, so that any component can tell a log source by its name.
#pragma once

#include <string>

#include "featherstone/definitions/model.h"

namespace fst::definitions {

inline constexpr char kLogSuffix[] = "__log";

// "<service>__log".
std::string LogSourceName(const std::string& service);
// The service whose log `source` is (empty when `source` is not a log source of `repo`).
std::string LoggedService(const Repo& repo, const std::string& source);

}  // namespace fst::definitions
