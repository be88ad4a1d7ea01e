// `featherstone registry migrate --to postgresql://...`
#include <iostream>

#include "command.h"
#include "featherstone/core/dsn.h"
#include "featherstone/registry/registry_copy.h"
#include "featherstone/repo/backends.h"

namespace fst::cli {
namespace {

Status Migrate(const Globals& globals, const std::string& to) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const std::string from,
                      repo::RegistryLocation(repo->settings(), repo->dir()));
  FST_ASSIGN_OR_RAISE(auto copied, registry::CopyRegistry(from, to));
  int64_t rows = 0;
  for (const auto& [table, count] : copied) {
    std::cout << "  " << table << ": " << count << " rows\n";
    rows += count;
  }
  std::cout << "copied " << rows << " rows of " << copied.size() << " tables from "
            << core::RedactedDsn(from) << " to " << core::RedactedDsn(to)
            << "\nnext: set `registry: " << core::RedactedDsn(to)
            << "` (with its password) in featherstone.yaml; the old registry is left as it "
               "was\n";
  return Status::OK();
}

}  // namespace

void AddRegistryCommands(CLI::App& app, Globals& globals, Action* action) {
  auto* group = app.add_subcommand(
      "registry",
      "The registry itself: where definitions, ingest manifests, watermarks, quality history, "
      "breakers and lineage live (`registry:` in featherstone.yaml: sqlite, or a "
      "postgresql:// URI).\n"
      "Example: featherstone -C shop registry migrate --to "
      "postgresql://fst:secret@db.internal:5432/shop");
  group->require_subcommand(1);
  auto* migrate = group->add_subcommand(
      "migrate",
      "Copy every table of the repo's registry into an empty PostgreSQL database, in one "
      "transaction (the schema is created first; a database holding any registry row is "
      "refused). Stop writers (ingest, stream, serve, apply) while it runs. Afterwards set "
      "`registry:` in featherstone.yaml to the URI; the old registry is not changed. Use one "
      "database per repo.\n"
      "Example: featherstone -C shop registry migrate --to "
      "postgresql://fst:secret@127.0.0.1:5432/shop");
  auto to = std::make_shared<std::string>();
  migrate->add_option("--to", *to, "libpq URI of the empty target database")->required();
  migrate->callback([&globals, action, to] {
    *action = [&globals, to] { return Migrate(globals, *to); };
  });
}

}  // namespace fst::cli
