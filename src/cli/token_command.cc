// `featherstone token new --auth FILE --name NAME --scope SCOPE... [--project P]` and
// `featherstone token list --auth FILE`: the bearer tokens of `serve --auth FILE`.
#include <iostream>

#include "command.h"
#include "featherstone/core/file_system.h"
#include "featherstone/serving/auth.h"
#include "text_table.h"

namespace fst::cli {
namespace {

struct NewOptions {
  std::string auth;
  std::string name;
  std::vector<std::string> scopes;
  std::string project;
};

Status New(const NewOptions& o) {
  FST_ASSIGN_OR_RAISE(std::string token,
                      serving::NewToken(*core::LocalFs(), o.auth, o.name, o.scopes, o.project));
  std::cout << token << std::endl;
  std::cerr << "added token '" << o.name << "' to " << o.auth
            << "; the token above is shown only this once (the file keeps its SHA-256)\n";
  return Status::OK();
}

Status List(const std::string& auth) {
  FST_ASSIGN_OR_RAISE(auto file, serving::TokenFile::Load(*core::LocalFs(), auth));
  if (file.tokens().empty()) {
    std::cout << "No tokens in " << auth << " (add one with `featherstone token new`).\n";
    return Status::OK();
  }
  TextTable table({"NAME", "PROJECT", "SCOPES"});
  for (const auto& token : file.tokens()) {
    std::string scopes;
    for (const auto& scope : token.scopes) {
      scopes += (scopes.empty() ? "" : " ") + scope.ToString();
    }
    table.Add({token.name, token.project.empty() ? "*" : token.project, scopes});
  }
  table.Print(std::cout);
  return Status::OK();
}

}  // namespace

void AddTokenCommands(CLI::App& app, Globals&, Action* action) {
  auto* group = app.add_subcommand(
      "token",
      "Bearer tokens for `featherstone serve --auth FILE`. FILE keeps each token's SHA-256, its "
      "name and its scopes: read:service/NAME, read:view/NAME, push:source/NAME (NAME or * for "
      "all), metrics, catalog, admin.\n"
      "Example: featherstone token new --auth tokens.yaml --name churn-api "
      "--scope read:service/churn_model");
  group->require_subcommand(1);

  auto* make = group->add_subcommand(
      "new",
      "Make a random token, add its hashed entry to FILE (created if absent) and print the "
      "token, once, to stdout. Scopes: read:service/NAME (lookups by that feature service), "
      "read:view/NAME (lookups by a feature list naming that view), push:source/NAME (/push to "
      "that source), metrics (/metrics), catalog (/features), admin (everything).\n"
      "Example: TOKEN=$(featherstone token new --auth tokens.yaml --name churn-api "
      "--scope read:service/churn_model --scope metrics)\n"
      "  curl -s -H \"Authorization: Bearer $TOKEN\" localhost:6566/get-online-features -d ...");
  auto n = std::make_shared<NewOptions>();
  make->add_option("--auth", n->auth, "Token file (YAML)")->required();
  make->add_option("--name", n->name, "Name of the token in messages and metrics")->required();
  make->add_option("--scope", n->scopes, "A scope; repeat for more")->required();
  make->add_option("--project", n->project,
                   "Valid only on a repo of this project (default: any project)");
  make->callback([action, n] {
    *action = [n] { return New(*n); };
  });

  auto* list = group->add_subcommand(
      "list", "Names, projects and scopes of the tokens in FILE (never the tokens).\n"
              "Example: featherstone token list --auth tokens.yaml");
  auto auth = std::make_shared<std::string>();
  list->add_option("--auth", *auth, "Token file (YAML)")->required();
  list->callback([action, auth] {
    *action = [auth] { return List(*auth); };
  });
}

}  // namespace fst::cli
