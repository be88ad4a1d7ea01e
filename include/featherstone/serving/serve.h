// `featherstone serve` as one library call: the repo, the bind policy and tokens, the feature
// log, the endpoints, the HTTP server and the optional gRPC server, run until SIGINT or
// SIGTERM.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "featherstone/serving/feature_log.h"
#include "featherstone/serving/http_server.h"

namespace fst::serving {

struct ServeOptions {
  HttpServerOptions http;
  // The gRPC port on http.host (0: a free one); none: no gRPC server.
  std::optional<uint16_t> grpc_port;
  std::string auth_file;  // tokens.yaml (auth.h); empty: no authentication, loopback only
  bool insecure = false;  // serve a non-loopback address without authentication
  bool feature_log = true;
  FeatureLogOptions log;  // log.dir empty: REPO/.featherstone/feature_log
};

// Where a started server listens; the ports are the real ones when 0 was asked for.
struct Listening {
  std::string host;
  uint16_t http_port = 0;
  std::optional<uint16_t> grpc_port;  // none without gRPC
};

// Serves the repo at `repo_dir` over HTTP and, with options.grpc_port, gRPC: the same
// endpoints, tokens and bind policy on both. `on_listening` is called once both sockets
// listen. Returns after a signal once the requests in flight on both are answered (each
// transport waits up to options.http.drain_seconds) and the feature log is written and closed.
// Errors: Invalid from CheckBindPolicy (before anything is opened), a bad token file or one
// without tokens; IOError when it cannot be read;
// those of RepoContext::Open, Applied and Online; IOError when an address cannot be bound.
Status Serve(const std::string& repo_dir, const ServeOptions& options,
             const std::function<void(const Listening& listening)>& on_listening);

}  // namespace fst::serving
