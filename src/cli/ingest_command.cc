// `featherstone ingest SOURCE FILE...`, and `featherstone ingest SOURCE [--incremental]` for
// sources that read their own input (kind postgres, and the kinds of connectors/source_kind.h
// that open their input, e.g. files).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "command.h"
#include "featherstone/ingest/ingest.h"

namespace fst::cli {
namespace {

Status Run(Globals& globals, const std::string& source, const std::vector<std::string>& files,
           bool incremental) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(const definitions::Source* source_def, repo->AppliedSource(source));
  if (incremental && !ingest::ReadsOwnInput(*source_def)) {
    return Status::Invalid("--incremental applies only to sources of kind postgres; source '",
                           source, "' is of kind ", source_def->kind);
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  const std::vector<std::string> inputs = files.empty() ? std::vector<std::string>{""} : files;
  for (const auto& file : inputs) {
    ingest::IngestOptions options;
    if (tty) {
      const std::string name = file.empty() ? source : file;
      options.progress = [name](int64_t rows) {
        std::fprintf(stderr, "\ringesting %s: %lld rows", name.c_str(),
                     static_cast<long long>(rows));
      };
    }
    auto result = file.empty() ? ingest::IngestSource(*repo, source, incremental, options)
                                 : ingest::IngestFile(*repo, source, file, options);
    if (tty) std::fprintf(stderr, "\r\033[K");
    FST_RETURN_NOT_OK(result.status());
    if (result->skipped && result->ingest_id == 0) {
      std::cout << "skipped " << result->input << ": nothing new since the last ingest\n";
    } else if (result->skipped) {
      std::cout << "skipped " << file << ": already ingested (ingest #" << result->ingest_id
                << ", " << result->rows << " rows)\n";
    } else {
      std::cout << "ingested " << result->input << ": " << result->rows << " rows into source '"
                << source
                << "' (ingest #" << result->ingest_id << ", " << result->parts << " part file"
                << (result->parts == 1 ? "" : "s") << ")";
      if (result->has_contract) {
        std::cout << "; " << result->rows_quarantined << " rows quarantined";
        if (result->probe) std::cout << "; breaker probe passed, breaker CLOSED";
      }
      std::cout << "\n";
      for (const auto& warning : result->warnings) std::cerr << "warning: " << warning << "\n";
    }
  }
  return Status::OK();
}

}  // namespace

void AddIngestCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "ingest",
      "Validate files against a source's schema and contract and append them to the offline "
      "store. Each file is published atomically: a bad value (reported with file, row, column "
      "and value) or a crash leaves nothing of it; a file already ingested is skipped. With a "
      "contract, rows breaking an error-level rule are quarantined (policy quarantine) or the "
      "file is refused (reject_batch); an open circuit breaker refuses the ingest. Exit 0 when "
      "good rows were written, 1 when nothing was. Sources that read their own input take no "
      "files: kind postgres reads its table or query from the database (--incremental: only "
      "the rows after the cursor_column value the last incremental ingest recorded), kind "
      "files its new and changed files (docs/connectors.md).\n"
      "Example: featherstone -C shop ingest orders data/orders.csv");
  auto source = std::make_shared<std::string>();
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("source", *source, "Source name from featherstone.yaml")->required();
  auto incremental = std::make_shared<bool>(false);
  cmd->add_option("files", *files,
                  "Files (.csv, .parquet, .jsonl); none for a source that reads its own input "
                  "(postgres, files)");
  cmd->add_flag("--incremental", *incremental,
                "postgres sources: read only the rows whose cursor_column is above the last "
                "value ingested, and record the new one with the rows");
  cmd->callback([&globals, action, source, files, incremental] {
    *action = [&globals, source, files, incremental] {
      return Run(globals, *source, *files, *incremental);
    };
  });
}

}  // namespace fst::cli
