#include "featherstone/serving/http_server.h"

#include <array>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http_head.h"

namespace fst::serving {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A connection's executor: its own strand, as a concrete type rather than the type-erased
// any_io_executor of beast::tcp_stream, which every handler of a request would wrap and copy.
using ConnectionExecutor = net::strand<net::io_context::executor_type>;
using ConnectionSocket = net::basic_stream_socket<tcp, ConnectionExecutor>;

class Session;

struct HttpServer::Impl {
  Impl(Handlers& h, const HttpServerOptions& o)
      : handlers(h),
        options(o),
        ioc(std::max(1, o.threads)),
        control(net::make_strand(ioc)),
        acceptor(control),
        signals(control, SIGINT, SIGTERM),
        drain_timer(control) {}

  void Accept();
  void BeginStop();
  void Register(Session* session, std::weak_ptr<Session> weak);
  void Unregister(Session* session);

  Handlers& handlers;
  const HttpServerOptions options;
  // Declared before ioc: sessions still queued when ioc is destroyed unregister here.
  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  net::io_context ioc;
  net::strand<net::io_context::executor_type> control;  // acceptor, signals, drain timer
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drain_timer;
  std::atomic<bool> stopping{false};
  uint16_t port = 0;
};

// One connection: read a request, answer it, repeat while keep-alive. Every step runs on the
// connection's strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ConnectionSocket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}
  ~Session() { server_.Unregister(this); }

  void Start() {
    server_.Register(this, weak_from_this());
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

  // At shutdown: a connection waiting for a request is closed; one being answered finishes.
  void Stop() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->stream_.cancel();
    });
  }

 private:
  void Read() {
    if (server_.stopping) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    stream_.expires_after(std::chrono::seconds(server_.options.idle_timeout_seconds));
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit) {
      return Reply({413, "application/json",
                    R"({"error":"request body too large"})"}, false, 11, Endpoint::kOther);
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::partial_message) {
      return Reply({400, "application/json", R"({"error":"malformed HTTP request"})"}, false, 11,
                   Endpoint::kOther);
    }
    if (ec) return;  // timeout, reset or shutdown: drop the connection
    auto& req = parser_->get();
    auto view = [](beast::string_view text) { return std::string_view(text.data(), text.size()); };
    HttpRequest request;
    request.method = view(req.method_string());
    request.target = view(req.target());
    request.authorization = view(req[http::field::authorization]);
    request.body = std::move(req.body());
    HttpResponse response = server_.handlers.Handle(request);
    Write(std::move(response), req.keep_alive() && !server_.stopping, req.version());
  }

  // An answer the transport makes itself (the request never reached Handlers).
  void Reply(HttpResponse response, bool keep_alive, unsigned version, Endpoint endpoint) {
    server_.handlers.metrics().CountRequest(endpoint, response.status, 0);
    Write(std::move(response), keep_alive, version);
  }

  // The head is written as text (http_head.h) into a buffer the connection keeps, and sent
  // with the body in one gathered write.
  void Write(HttpResponse response, bool keep_alive, unsigned version) {
    head_.clear();
    AppendResponseHead(response.status, version, keep_alive, response.content_type,
                       response.body.size(), &head_);
    body_ = std::move(response.body);
    keep_alive_ = keep_alive;
    stream_.expires_after(std::chrono::seconds(server_.options.idle_timeout_seconds));
    const std::array<net::const_buffer, 2> buffers = {net::buffer(head_), net::buffer(body_)};
    net::async_write(stream_, buffers,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!keep_alive_) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::basic_stream<tcp, ConnectionExecutor> stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_;  // the response being written: head and body
  std::string body_;
  bool keep_alive_ = false;
  bool reading_ = false;
};

void HttpServer::Impl::Register(Session* session, std::weak_ptr<Session> weak) {
  std::lock_guard<std::mutex> lock(sessions_mu);
  sessions.emplace(session, std::move(weak));
}

void HttpServer::Impl::Unregister(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mu);
  sessions.erase(session);
  if (stopping && sessions.empty() && !ioc.stopped()) {
    net::post(control, [this] { drain_timer.cancel(); });
  }
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec,
                                                      ConnectionSocket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), *this)->Start();
    Accept();
  });
}

// Runs on `control`.
void HttpServer::Impl::BeginStop() {
  if (stopping.exchange(true)) return;
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard<std::mutex> lock(sessions_mu);
    for (auto& [raw, weak] : sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  if (open.empty()) return;
  for (auto& session : open) session->Stop();
  drain_timer.expires_after(std::chrono::seconds(options.drain_seconds));
  drain_timer.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) ioc.stop();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(Handlers& handlers,
                                                       const HttpServerOptions& options) {
  auto impl = std::make_unique<Impl>(handlers, options);
  const std::string where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(impl->ioc);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::IOError("cannot serve on ", where, ": ", ec ? ec.message() : "no address");
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot serve on ", where, ": ", ec.message());
  impl->port = acceptor.local_endpoint().port();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Run() {
  Impl& s = *impl_;
  net::dispatch(s.control, [&s] {
    s.Accept();
    s.signals.async_wait([&s](beast::error_code ec, int) {
      if (!ec) s.BeginStop();
    });
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < s.options.threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& thread : threads) thread.join();
}

void HttpServer::Stop() {
  net::post(impl_->control, [impl = impl_.get()] { impl->BeginStop(); });
}

}  // namespace fst::serving
