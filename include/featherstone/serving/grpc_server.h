// gRPC transport of `featherstone serve --grpc-port N`: the service
// featherstone.serving.v1.FeatureServing (src/serving/proto/featherstone/serving/v1/
// serving.proto) over the same Handlers as HTTP, so both answer alike (docs/serving.md "gRPC").
// This header holds no gRPC type: only grpc_server.cc and the generated code include grpc++.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "featherstone/core/status.h"
#include "featherstone/serving/handlers.h"

namespace fst::serving {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;               // 0: a free port (see GrpcServer::port)
  int threads = 2;                 // threads polling for calls: up to threads + 1
  size_t message_limit = 16 << 20;  // bytes; a larger request gets RESOURCE_EXHAUSTED
};

class GrpcServer {
 public:
  // Binds, listens and serves on gRPC's own threads until Shutdown. `handlers` must outlive
  // the server. Errors: IOError naming host:port when it cannot be bound (address in use,
  // bad address, permission).
  static Result<std::unique_ptr<GrpcServer>> Listen(Handlers& handlers,
                                                    const GrpcServerOptions& options);
  // Shuts down (Shutdown(0) when not done yet).
  ~GrpcServer();

  // The bound port (the real one when options.port was 0).
  uint16_t port() const;

  // Stops accepting calls, lets the calls in flight finish for up to `drain_seconds`, cancels
  // the rest and returns once every call is done. Idempotent; not concurrent with itself.
  void Shutdown(int drain_seconds);

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fst::serving
