// `featherstone quarantine list|show|replay SOURCE`.
#include <iostream>

#include <arrow/array.h>

#include "command.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/quarantine.h"
#include "text_table.h"

namespace fst::cli {
namespace {

Status List(const Globals& globals, const std::string& source) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto files, ingest::ListQuarantine(*repo, source));
  if (files.empty()) {
    std::cout << "No quarantined rows for source '" << source << "'.\n";
    return Status::OK();
  }
  TextTable table({"INGEST", "TIME", "INPUT", "ROWS", "REPLAYED", "REMAINING", "FILE"});
  int64_t remaining = 0;
  for (const auto& file : files) {
    remaining += file.rows - file.replayed_rows;
    table.Add({"#" + std::to_string(file.ingest_id), core::FormatTimestamp(file.published_at),
               file.input, std::to_string(file.rows), std::to_string(file.replayed_rows),
               std::to_string(file.rows - file.replayed_rows),
               ".featherstone/quarantine/" + file.path});
  }
  table.Print(std::cout);
  std::cout << remaining << " row" << (remaining == 1 ? "" : "s")
            << " waiting; see them with `featherstone quarantine show " << source
            << "`, replay them after a fix with `featherstone quarantine replay " << source
            << "`.\n";
  return Status::OK();
}

Status Show(const Globals& globals, const std::string& source, bool all, int64_t limit,
            bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  if (json) {
    FST_ASSIGN_OR_RAISE(auto out, ingest::QuarantineJson(*repo, source, all, limit));
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
    return Status::OK();
  }
  FST_ASSIGN_OR_RAISE(auto rows, ingest::ShowQuarantine(*repo, source, all, limit));
  if (rows->num_rows() == 0) {
    std::cout << "No quarantined rows" << (all ? "" : " waiting for replay") << " for source '"
              << source << "'.\n";
    return Status::OK();
  }
  std::vector<std::string> header;
  for (const auto& field : rows->schema()->fields()) header.push_back(field->name());
  TextTable table(header);
  for (int64_t i = 0; i < rows->num_rows(); ++i) {
    std::vector<std::string> row;
    for (int c = 0; c < rows->num_columns(); ++c) {
      const auto& chunk = static_cast<const arrow::StringArray&>(*rows->column(c)->chunk(0));
      row.emplace_back(chunk.GetView(i));
    }
    table.Add(std::move(row));
  }
  table.Print(std::cout);
  return Status::OK();
}

Status Replay(const Globals& globals, const std::string& source) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto result, ingest::ReplayQuarantine(*repo, source, {}));
  if (result.candidates == 0) {
    std::cout << "Nothing to replay for source '" << source << "'.\n";
    return Status::OK();
  }
  std::cout << "replayed " << result.replayed << " of " << result.candidates
            << " quarantined rows into source '" << source << "'";
  if (result.replayed > 0) std::cout << " (ingest #" << result.ingest_id << ")";
  std::cout << "; " << result.still_failing << " still fail"
            << (result.still_failing == 1 ? "s" : "") << " the contract and stay quarantined\n";
  for (const auto& failure : result.failures) std::cerr << "  " << failure << "\n";
  return Status::OK();
}

}  // namespace

void AddQuarantineCommands(CLI::App& app, Globals& globals, Action* action) {
  auto* group = app.add_subcommand(
      "quarantine",
      "Rows that broke an error-level rule of a source's contract (policy quarantine) are kept "
      "in the quarantine store with the rules and reasons.\n"
      "Example: featherstone -C shop quarantine list orders");
  group->require_subcommand(1);

  auto* list = group->add_subcommand(
      "list", "Quarantine files of SOURCE: ingest, time, input, rows, rows replayed.\n"
              "Example: featherstone -C shop quarantine list orders");
  auto list_source = std::make_shared<std::string>();
  list->add_option("source", *list_source, "Source name")->required();
  list->callback([&globals, action, list_source] {
    *action = [&globals, list_source] { return List(globals, *list_source); };
  });

  auto* show = group->add_subcommand(
      "show", "Quarantined rows of SOURCE (not yet replayed) with __row (the input row), "
              "__rules and __reasons, then the row's values as text.\n"
              "Example: featherstone -C shop quarantine show orders --limit 20 [--json]");
  auto show_source = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto limit = std::make_shared<int64_t>(100);
  show->add_option("source", *show_source, "Source name")->required();
  show->add_flag("--all", *all, "Also show rows already replayed");
  show->add_option("--limit", *limit, "At most this many rows (0 = all; default 100)");
  auto show_json = std::make_shared<bool>(false);
  show->add_flag("--json", *show_json,
                 "Print {source, files, waiting, rows} as JSON (the rows as objects of text)");
  show->callback([&globals, action, show_source, all, limit, show_json] {
    *action = [&globals, show_source, all, limit, show_json] {
      return Show(globals, *show_source, *all, *limit, *show_json);
    };
  });

  auto* replay = group->add_subcommand(
      "replay",
      "Re-validate the quarantined rows of SOURCE against the current contract (after a fix "
      "to the contract, applied first) and ingest the rows that now pass. Each row is replayed "
      "at most once; rows that still fail stay quarantined.\n"
      "Example: featherstone -C shop apply && featherstone -C shop quarantine replay orders");
  auto replay_source = std::make_shared<std::string>();
  replay->add_option("source", *replay_source, "Source name")->required();
  replay->callback([&globals, action, replay_source] {
    *action = [&globals, replay_source] { return Replay(globals, *replay_source); };
  });
}

}  // namespace fst::cli
