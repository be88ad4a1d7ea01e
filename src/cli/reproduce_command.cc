// `featherstone reproduce --request-id ID [--json]`
#include <iostream>

#include "command.h"
#include "featherstone/feedback/reproduce.h"

namespace fst::cli {
namespace {

Status Run(Globals& globals, const std::string& request_id, bool json) {
  FST_ASSIGN_OR_RAISE(auto repo, OpenRepo(globals));
  std::vector<feedback::LoggedRequest> requests;
  FST_ASSIGN_OR_RAISE(requests.emplace_back(), feedback::FindLoggedRequest(*repo, request_id));
  FST_ASSIGN_OR_RAISE(auto checks, feedback::CheckServed(*repo, requests));
  const feedback::LoggedRequest& request = requests.front();
  const bool equal = checks.differing.empty();
  if (json) {
    std::cout << feedback::ReproduceJson(request, checks).dump(2) << "\n";
  } else {
    std::cout << feedback::ReproduceText(request, checks);
  }
  globals.exit_code = equal ? 0 : 1;
  return Status::OK();
}

}  // namespace

void AddReproduceCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "reproduce",
      "Recompute every feature value of one served response from the offline store, with the "
      "point-in-time rules at the request's lookup time, and compare it with what was served "
      "(the feature log of `featherstone serve`). Prints 'reproduced: N features equal' (exit 0) "
      "or each differing value with both values and the reason when the registry can tell it: "
      "late_data (events published after the request), stale_online (the online store was "
      "materialized only up to an earlier time), definition_changed, ttl, else unexplained "
      "(exit 1). docs/feedback.md.\n"
      "Example: featherstone -C shop reproduce --request-id 5f3a9c1e-000000000001");
  auto request_id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--request-id", *request_id, "The request_id of the response")->required();
  cmd->add_flag("--json", *json, "Print the report as JSON");
  cmd->callback([&globals, action, request_id, json] {
    *action = [&globals, request_id, json] { return Run(globals, *request_id, *json); };
  });
}

}  // namespace fst::cli
