// HTTP/1.1 transport of `featherstone serve` on Boost.Beast: keep-alive connections, one
// io_context run by N threads, each connection on its own strand. Requests go to Handlers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "featherstone/core/status.h"
#include "featherstone/serving/handlers.h"

namespace fst::serving {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6566;  // 0: a free port (see HttpServer::port)
  int threads = 2;
  size_t body_limit = 16 << 20;   // bytes; a larger body gets 413
  int idle_timeout_seconds = 60;  // a keep-alive connection idle this long is closed
  int drain_seconds = 10;         // at stop, in-flight requests get this long to finish
};

class HttpServer {
 public:
  // Binds and listens. `handlers` must outlive the server.
  // Errors: IOError naming host:port (address in use, bad address, permission).
  static Result<std::unique_ptr<HttpServer>> Listen(Handlers& handlers,
                                                    const HttpServerOptions& options);
  ~HttpServer();

  // The bound port (the real one when options.port was 0).
  uint16_t port() const;

  // Serves on options.threads threads until SIGINT or SIGTERM (or Stop()); then stops
  // accepting, closes idle connections, lets requests in flight finish and returns.
  void Run();
  // Thread-safe; Run() returns soon after.
  void Stop();

 private:
  friend class Session;  // one connection (http_server.cc)
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fst::serving
