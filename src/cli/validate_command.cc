// `featherstone validate SOURCE FILE`: a dry run of the contract, printing the result.
#include <iostream>

#include "command.h"
#include "featherstone/ingest/validate.h"

namespace fst::cli {
namespace {

Status Run(const Globals& globals, const std::string& source, const std::string& file) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  FST_ASSIGN_OR_RAISE(auto report, ingest::ValidateFile(*repo, source, file));
  report.result["meta"]["metrics"] = report.metrics;
  std::cout << report.result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  for (const auto& warning : report.warnings) std::cerr << "warning: " << warning << "\n";
  if (report.success) return Status::OK();
  std::string message = file + ": " + std::to_string(report.failures.size()) +
                        " error-level expectation" + (report.failures.size() == 1 ? "" : "s") +
                        " of source '" + source + "' failed:";
  for (const auto& failure : report.failures) message += "\n  " + failure;
  return Status::Invalid(message);
}

}  // namespace

void AddValidateCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Dry run: check FILE against the contract of SOURCE and print the result in the Great "
      "Expectations validation-result shape (with per-column metrics under meta). Writes and "
      "records nothing. Exit 1 when an error-level expectation fails.\n"
      "Example: featherstone -C shop validate orders data/orders.csv");
  auto source = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("source", *source, "Source name")->required();
  cmd->add_option("file", *file, "File (.csv, .parquet, .jsonl)")->required();
  cmd->callback([&globals, action, source, file] {
    *action = [&globals, source, file] { return Run(globals, *source, *file); };
  });
}

}  // namespace fst::cli
