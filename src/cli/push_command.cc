// `featherstone push SOURCE FILE|-`
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/push.h"
#include "featherstone/retrieval/refresh_online.h"

namespace fst::cli {
namespace {

Status Run(const Globals& globals, const std::string& source, const std::string& file,
           bool offline_only) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::IOError(file, ": cannot open");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  ingest::IngestOptions options;
  options.now_us = core::NowMicros();
  options.per_event = true;
  const std::string what = file == "-" ? "stdin" : file;
  FST_ASSIGN_OR_RAISE(auto result, ingest::PushJsonLines(*repo, source, text, what, options));
  std::cout << "pushed " << result.rows << " rows into source '" << source << "' (ingest #"
            << result.ingest_id << ")";
  if (result.has_contract || result.rows_quarantined > 0) {
    std::cout << "; " << result.rows_quarantined << " rows quarantined";
  }
  if (!offline_only) {
    FST_ASSIGN_OR_RAISE(auto views, retrieval::RefreshOnline(*repo, source));
    for (const auto& view : views) {
      std::cout << "; online view '" << view.view << "': " << view.keys_written << " keys";
    }
  }
  std::cout << "\n";
  for (const auto& warning : result.warnings) std::cerr << "warning: " << warning << "\n";
  return Status::OK();
}

}  // namespace

void AddPushCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "push",
      "Ingest events given as JSON Lines (one object per line; FILE or - for stdin) into a "
      "source of any kind, through the same validation and publish as `ingest`, then refresh "
      "the online store of the views reading it. Validation is per event, as for `stream`: a "
      "line that is not a JSON object of the source's schema, or lacks a join key or event "
      "time, is quarantined with its text and the reason (see `featherstone quarantine show`), "
      "not fatal. Not deduplicated: pushing the same events twice stores them twice.\n"
      "Example: tail -n 100 events.jsonl | featherstone -C shop push orders -");
  auto source = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto offline_only = std::make_shared<bool>(false);
  cmd->add_option("source", *source, "Source name from featherstone.yaml")->required();
  cmd->add_option("file", *file, "A JSON Lines file, or - for stdin")->required();
  cmd->add_flag("--offline-only", *offline_only, "Do not refresh the online store");
  cmd->callback([&globals, action, source, file, offline_only] {
    *action = [&globals, source, file, offline_only] {
      return Run(globals, *source, *file, *offline_only);
    };
  });
}

}  // namespace fst::cli
