#include "featherstone/serving/serve.h"

#include "featherstone/core/file_system.h"
#include "featherstone/serving/grpc_server.h"

namespace fst::serving {

Status Serve(const std::string& repo_dir, const ServeOptions& options,
             const std::function<void(const Listening& listening)>& on_listening) {
  FST_RETURN_NOT_OK(
      CheckBindPolicy(options.http.host, !options.auth_file.empty(), options.insecure));
  if (options.http.threads < 1) return Status::Invalid("--threads must be at least 1");
  std::optional<TokenFile> tokens;
  if (!options.auth_file.empty()) {
    FST_ASSIGN_OR_RAISE(tokens, TokenFile::Load(*core::LocalFs(), options.auth_file));
    if (tokens->tokens().empty()) {
      return Status::Invalid(options.auth_file, ": no tokens in it, so every request would be "
                             "refused; add one with `featherstone token new --auth ",
                             options.auth_file, " --name NAME --scope SCOPE`");
    }
  }
  FST_ASSIGN_OR_RAISE(auto repo, repo::RepoContext::Open(repo_dir));
  std::unique_ptr<FeatureLog> log;
  if (options.feature_log) {
    FeatureLogOptions log_options = options.log;
    if (log_options.dir.empty()) log_options.dir = FeatureLogDir(repo->dir());
    FST_ASSIGN_OR_RAISE(log, FeatureLog::Open(log_options));
  }
  FST_ASSIGN_OR_RAISE(auto handlers,
                      Handlers::Open(std::move(repo), std::move(tokens), std::move(log)));
  FST_ASSIGN_OR_RAISE(auto server, HttpServer::Listen(*handlers, options.http));
  Listening listening{options.http.host, server->port(), std::nullopt};
  std::unique_ptr<GrpcServer> grpc;
  if (options.grpc_port.has_value()) {
    GrpcServerOptions grpc_options;
    grpc_options.host = options.http.host;
    grpc_options.port = *options.grpc_port;
    grpc_options.threads = options.http.threads;
    grpc_options.message_limit = options.http.body_limit;
    FST_ASSIGN_OR_RAISE(grpc, GrpcServer::Listen(*handlers, grpc_options));
    listening.grpc_port = grpc->port();
  }
  if (on_listening) on_listening(listening);
  server->Run();  // returns after SIGINT/SIGTERM, once HTTP requests in flight are answered
  if (grpc != nullptr) grpc->Shutdown(options.http.drain_seconds);
  handlers->StopLog();
  return Status::OK();
}

}  // namespace fst::serving
