// The one table of backends a repo may name in featherstone.yaml: `registry:`, `online_store:`
// and each source's `kind:`. A value with no backend built is refused here, at plan, apply and
// open, naming the key, where it was written and the values supported — never ignored.
#pragma once

#include <memory>
#include <string>

#include "featherstone/definitions/model.h"
#include "featherstone/online/online_store.h"
#include "featherstone/registry/registry.h"

namespace fst::repo {

// Errors: Invalid "featherstone.yaml:L:C: online_store 'redis://...' is not supported by this
// build yet; supported: rocksdb" (and likewise registry and source kinds; a URI's password
// shown as ***), one line per problem.
Status CheckBackends(const definitions::Repo& repo);

// Where the registry of the repo at `dir` is, as Registry::Open takes it: `registry: sqlite`
// is DIR/.featherstone/registry.db, a postgresql:// or postgres:// URI is itself, each
// `${NAME}` in it replaced by the environment variable NAME (so the password need not be in
// the YAML). Errors: Invalid naming a variable that is not set.
Result<std::string> RegistryLocation(const definitions::Repo& settings, const std::string& dir);

// Opens the registry named by `settings.registry` for the repo at `dir`.
// Errors: those of CheckBackends; IOError from the backend.
Result<std::unique_ptr<registry::Registry>> OpenRegistry(const definitions::Repo& settings,
                                                         const std::string& dir);

// Opens the online store named by `settings.online_store` for the repo at `dir`.
// Errors: those of CheckBackends; IOError from the backend.
Result<std::unique_ptr<online::OnlineStore>> OpenOnlineStore(const definitions::Repo& settings,
                                                             const std::string& dir);

}  // namespace fst::repo
