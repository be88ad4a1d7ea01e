// `featherstone serve` as one library call: the repo, the bind policy and tokens, the feature
// log, the endpoints and the HTTP server, run until SIGINT or SIGTERM.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "featherstone/serving/feature_log.h"
#include "featherstone/serving/http_server.h"

namespace fst::serving {

struct ServeOptions {
  HttpServerOptions http;
  std::string auth_file;  // tokens.yaml (auth.h); empty: no authentication, loopback only
  bool insecure = false;  // serve a non-loopback address without authentication
  bool feature_log = true;
  FeatureLogOptions log;  // log.dir empty: REPO/.featherstone/feature_log
};

// Where the feature log of the repo at `repo_dir` lives (docs/impl.md "Feature log").
std::string FeatureLogDir(const std::string& repo_dir);

// Serves the repo at `repo_dir`. `on_listening(host, port)` is called once the socket listens
// (port is the real one when options.http.port is 0). Returns after a signal once requests in
// flight are answered and the feature log is written and closed.
// Errors: Invalid from CheckBindPolicy (before anything is opened), a bad token file or one
// without tokens; IOError when it cannot be read;
// those of RepoContext::Open, Applied and Online; IOError when the address cannot be bound.
Status Serve(const std::string& repo_dir, const ServeOptions& options,
             const std::function<void(const std::string& host, uint16_t port)>& on_listening);

}  // namespace fst::serving
