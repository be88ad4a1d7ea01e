#include "featherstone/repo/backends.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

#include "featherstone/connectors/postgres.h"
#include "featherstone/connectors/source_kind.h"
#include "featherstone/core/dsn.h"

namespace fst::repo {
namespace {

// One row per value a setting may take: the value itself or a URL prefix.
struct Backend {
  std::string_view value;  // exact value, or a prefix ending in "://"
};

constexpr Backend kRegistries[] = {{"sqlite"}, {"postgresql://"}, {"postgres://"}};
constexpr Backend kOnlineStores[] = {{"rocksdb"}, {"redis://"}};

template <size_t N>
const Backend* Find(const Backend (&table)[N], const std::string& value) {
  for (const auto& backend : table) {
    const bool prefix = backend.value.ends_with("://");
    if (prefix ? std::string_view(value).starts_with(backend.value) : value == backend.value) {
      return &backend;
    }
  }
  return nullptr;
}

template <size_t N>
std::string Supported(const Backend (&table)[N]) {
  std::string out;
  for (const auto& backend : table) {
    if (!out.empty()) out += ", ";
    out += backend.value;
  }
  return out;
}

template <size_t N>
void Check(const Backend (&table)[N], const char* key, const std::string& value,
           const definitions::Location& where, std::vector<std::string>* problems) {
  if (Find(table, value) != nullptr) return;
  std::string at = where.ToString();
  if (at.empty()) at = "featherstone.yaml";
  problems->push_back(at + ": " + key + " '" + core::RedactedDsn(value) +
                      "' is not a known value; supported: " + Supported(table));
}

}  // namespace

Status CheckBackends(const definitions::Repo& repo) {
  std::vector<std::string> problems;
  Check(kRegistries, "registry", repo.registry, repo.registry_location, &problems);
  Check(kOnlineStores, "online_store", repo.online_store, repo.online_store_location, &problems);
  for (const auto& source : repo.sources) connectors::CheckSourceKind(source, &problems);
  if (problems.empty()) return Status::OK();
  std::string message = problems[0];
  for (size_t i = 1; i < problems.size(); ++i) message += "\n" + problems[i];
  return Status::Invalid(message);
}

Result<std::string> RegistryLocation(const definitions::Repo& settings, const std::string& dir) {
  if (settings.registry == "sqlite") return dir + "/.featherstone/registry.db";
  // A PostgreSQL URI is the registry's location itself (registry.h).
  return connectors::ExpandEnvironment(settings.registry, "registry");
}

Result<std::unique_ptr<registry::Registry>> OpenRegistry(const definitions::Repo& settings,
                                                         const std::string& dir) {
  std::vector<std::string> problems;
  Check(kRegistries, "registry", settings.registry, settings.registry_location, &problems);
  if (!problems.empty()) return Status::Invalid(problems.front());
  FST_ASSIGN_OR_RAISE(const std::string location, RegistryLocation(settings, dir));
  return registry::Registry::Open(location);
}

Result<std::unique_ptr<online::OnlineStore>> OpenOnlineStore(const definitions::Repo& settings,
                                                             const std::string& dir) {
  std::vector<std::string> problems;
  Check(kOnlineStores, "online_store", settings.online_store, settings.online_store_location,
        &problems);
  if (!problems.empty()) return Status::Invalid(problems.front());
  return online::OnlineStore::Open(settings.online_store, dir, settings.project);
}

}  // namespace fst::repo
