// `featherstone serve [--host H] [--port P] [--threads N] [--token-file F]
// [--allow-unauthenticated] [--no-feature-log]`
#include <iostream>

#include "command.h"
#include "featherstone/serving/serve.h"

namespace fst::cli {
namespace {

struct Options {
  serving::ServeOptions serve;
  int port = 6566;
  bool no_feature_log = false;
};

Status Run(const Globals& globals, Options o) {
  if (o.port < 0 || o.port > 65535) return Status::Invalid("--port ", o.port, ": expected 0-65535");
  o.serve.http.port = static_cast<uint16_t>(o.port);
  o.serve.feature_log = !o.no_feature_log;
  const int threads = o.serve.http.threads;
  return serving::Serve(globals.repo, o.serve,
                        [&globals, threads](const std::string& host, uint16_t port) {
                          const bool v6 = host.find(':') != std::string::npos;
                          std::cerr << "serving " << globals.repo << " on http://"
                                    << (v6 ? "[" + host + "]" : host) << ":" << port << " ("
                                    << threads << " thread" << (threads == 1 ? "" : "s") << ")"
                                    << std::endl;
                        });
}

}  // namespace

void AddServeCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve online features over HTTP/JSON in Feast's shapes: POST /get-online-features, "
      "POST /push, GET /health, GET /metrics (Prometheus), GET /features (the catalog). Every "
      "answered lookup is logged to .featherstone/feature_log. Without --token-file only "
      "loopback addresses are served. Stops on SIGINT/SIGTERM after answering requests in "
      "flight. Endpoints and bodies: docs/serving.md.\n"
      "Example: featherstone -C shop serve --port 6566\n"
      "  curl -s localhost:6566/get-online-features -d '{\"feature_service\": \"churn_model\", "
      "\"entities\": {\"customer_id\": [42, 43]}}'");
  auto o = std::make_shared<Options>();
  cmd->add_option("--host", o->serve.http.host, "Address to bind (default 127.0.0.1)");
  cmd->add_option("--port", o->port, "Port (default 6566; 0 picks a free port)");
  cmd->add_option("--threads", o->serve.http.threads, "Server threads (default 2)");
  cmd->add_option("--token-file", o->serve.token_file,
                  "File of bearer tokens, one per line ('#' comments): every endpoint but "
                  "/health then needs 'Authorization: Bearer TOKEN'");
  cmd->add_flag("--allow-unauthenticated", o->serve.allow_unauthenticated,
                "Serve a non-loopback --host without a token file");
  cmd->add_flag("--no-feature-log", o->no_feature_log, "Do not log served feature vectors");
  cmd->callback([&globals, action, o] {
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
