// What the registry's own tools (registry_copy.cc, the tests) need below the Registry
// interface: the database of a registry, its schema brought up to date.
#pragma once

#include <memory>
#include <string>

#include "sql_db.h"

namespace fst::registry {

// Opens the registry at `location` (a SQLite file path or a PostgreSQL URI, as
// Registry::Open) and creates or upgrades its schema; returns its connection.
Result<std::unique_ptr<Db>> OpenRegistryDb(const std::string& location);

// The schema version this build writes (the number of migrations).
int RegistrySchemaVersion();

}  // namespace fst::registry
