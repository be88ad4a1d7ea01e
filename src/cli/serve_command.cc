// `featherstone serve [--host H] [--port P] [--grpc-port G] [--threads N] [--auth tokens.yaml]
// [--insecure] [--no-feature-log]`
#include <iostream>
#include <optional>

#include "command.h"
#include "featherstone/feedback/log_publisher.h"
#include "featherstone/serving/serve.h"

namespace fst::cli {
namespace {

struct Options {
  serving::ServeOptions serve;
  int port = 6566;
  std::optional<int> grpc_port;
  bool no_feature_log = false;
};

Status Run(const Globals& globals, Options o) {
  if (o.port < 0 || o.port > 65535) return Status::Invalid("--port ", o.port, ": expected 0-65535");
  o.serve.http.port = static_cast<uint16_t>(o.port);
  if (o.grpc_port.has_value()) {
    if (*o.grpc_port < 0 || *o.grpc_port > 65535) {
      return Status::Invalid("--grpc-port ", *o.grpc_port, ": expected 0-65535");
    }
    o.serve.grpc_port = static_cast<uint16_t>(*o.grpc_port);
  }
  o.serve.feature_log = !o.no_feature_log;
  if (o.serve.feature_log) {
    // Sealed parts of the log become Parquet parts of the services' `<service>__log` sources.
    o.serve.log.publish = feedback::LogPublisher(globals.repo);
  }
  const int threads = o.serve.http.threads;
  return serving::Serve(
      globals.repo, o.serve, [&globals, threads](const serving::Listening& at) {
        const bool v6 = at.host.find(':') != std::string::npos;
        const std::string host = v6 ? "[" + at.host + "]" : at.host;
        std::cerr << "serving " << globals.repo << " on http://" << host << ":" << at.http_port;
        if (at.grpc_port.has_value()) std::cerr << " and grpc://" << host << ":" << *at.grpc_port;
        std::cerr << " (" << threads << " thread" << (threads == 1 ? "" : "s") << ")" << std::endl;
      });
}

}  // namespace

void AddServeCommand(CLI::App& app, Globals& globals, Action* action) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve online features over HTTP/JSON in Feast's shapes: POST /get-online-features, "
      "POST /push, GET /health, GET /metrics (Prometheus), GET /features (the catalog); with "
      "--grpc-port, the same lookups, pushes and health over gRPC too (the service "
      "featherstone.serving.v1.FeatureServing, same tokens). Every "
      "answered lookup is logged to .featherstone/feature_log (a service's share set by "
      "`logging: {sample_rate: R}`), and each closed part of the log is published as Parquet "
      "into the source SERVICE__log (read it with training-set, reproduce, or DuckDB/pyarrow on "
      ".featherstone/offline/SERVICE__log). With --auth, every endpoint but "
      "/health needs a bearer token whose scopes allow it (make tokens with `featherstone token "
      "new`); without it only loopback addresses are served. Stops on SIGINT/SIGTERM after "
      "answering requests in flight. Endpoints, bodies and scopes: docs/serving.md.\n"
      "Example: featherstone -C shop serve --port 6566 --grpc-port 6570\n"
      "  curl -s localhost:6566/get-online-features -d '{\"feature_service\": \"churn_model\", "
      "\"entities\": {\"customer_id\": [42, 43]}}'\n"
      "With auth: featherstone -C shop serve --host 0.0.0.0 --auth tokens.yaml\n"
      "  curl -s -H \"Authorization: Bearer $TOKEN\" HOST:6566/get-online-features -d ...");
  auto o = std::make_shared<Options>();
  cmd->add_option("--host", o->serve.http.host, "Address to bind (default 127.0.0.1)");
  cmd->add_option("--port", o->port, "Port (default 6566; 0 picks a free port)");
  cmd->add_option("--grpc-port", o->grpc_port,
                  "Also serve gRPC on this port of --host (0 picks a free port; default: no "
                  "gRPC)");
  cmd->add_option("--threads", o->serve.http.threads, "Server threads (default 2)");
  cmd->add_option("--auth", o->serve.auth_file,
                  "YAML file of hashed, scoped bearer tokens (`featherstone token new` writes "
                  "it): every endpoint but /health then needs 'Authorization: Bearer TOKEN'");
  cmd->add_flag("--insecure", o->serve.insecure,
                "Serve a non-loopback --host without authentication");
  cmd->add_flag("--no-feature-log", o->no_feature_log, "Do not log served feature vectors");
  cmd->callback([&globals, action, o] {
    *action = [&globals, o] { return Run(globals, *o); };
  });
}

}  // namespace fst::cli
