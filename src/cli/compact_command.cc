// `featherstone compact SOURCE [--target-rows N] [--dry-run]`
#include <iostream>

#include "command.h"
#include "featherstone/ingest/compact.h"

namespace fst::cli {
namespace {

struct Options {
  std::string source;
  int64_t target_rows = ingest::CompactOptions{}.target_rows;
  bool dry_run = false;
};

Status Run(const Globals& globals, const Options& o) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  ingest::CompactOptions options;
  options.target_rows = o.target_rows;
  options.dry_run = o.dry_run;
  FST_ASSIGN_OR_RAISE(auto result, ingest::Compact(*repo, o.source, options));
  if (result.cleaned > 0) {
    std::cout << "deleted " << result.cleaned
              << " unlisted files an interrupted compaction left\n";
  }
  if (result.groups.empty()) {
    std::cout << "nothing to compact: " << o.source << " has " << result.files_before
              << " files, no two of them together under " << o.target_rows << " rows\n";
    return Status::OK();
  }
  int64_t inputs = 0;
  for (const auto& group : result.groups) {
    inputs += static_cast<int64_t>(group.inputs.size());
    std::cout << (o.dry_run ? "would merge " : "merged ") << group.inputs.size() << " files ("
              << group.rows << " rows)"
              << (group.output.empty() ? std::string() : " into " + group.output) << "\n";
  }
  const int64_t after =
      result.files_before - inputs + static_cast<int64_t>(result.groups.size());
  std::cout << (o.dry_run ? "would compact " : "compacted ") << o.source << ": "
            << result.files_before << " -> " << after << " files, " << result.rows
            << " rows moved";
  if (!o.dry_run) std::cout << " (compaction #" << result.compaction_id << ")";
  std::cout << "\n";
  return Status::OK();
}

}  // namespace

void AddCompactCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "compact",
      "Merge a source's small part files (every stream micro-batch, push and small ingest "
      "writes its own) into sorted files of at most --target-rows rows, so reads open few "
      "files. Rows keep their ingest and order: training sets, materialization, reproduce and "
      "freshness give the same results before and after. Safe to interrupt: the old files "
      "stay listed until the new ones replace them in one registry transaction, and whatever "
      "an interrupted run left behind is deleted by the next. One compaction per source at a "
      "time; ingests may run alongside. Memory: about 2 x --target-rows rows.\n"
      "Example: featherstone -C shop compact orders --dry-run");
  auto o = std::make_shared<Options>();
  cmd->add_option("SOURCE", o->source, "The source whose parts to compact")->required();
  cmd->add_option("--target-rows", o->target_rows,
                  "Rows per compacted file at most; files with fewer are merged (default: "
                  "2000000, an ingest's part size)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--dry-run", o->dry_run, "Show which files would be merged; change nothing");
  cmd->callback([&globals, action, o] { *action = [&globals, o] { return Run(globals, *o); }; });
}

}  // namespace fst::cli
