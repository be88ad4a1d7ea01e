#include "featherstone/lineage/http_post.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace fst::lineage {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket when the exchange ends, however it ends.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or `deadline` passes; false on timeout.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // the next call reports the error
  }
}

}  // namespace

std::string HttpEndpoint::ToString() const { return fmt::format("http://{}:{}{}", host, port, path); }

Result<HttpEndpoint> ParseHttpEndpoint(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  const auto expected = [&](const std::string& why) {
    return Status::Invalid("lineage HTTP endpoint '", url, "': ", why,
                           "; expected http://HOST[:PORT][/PATH], e.g. http://localhost:5000 "
                           "(Marquez; the path defaults to /api/v1/lineage)");
  };
  if (url.starts_with("https://")) return expected("https is not supported (use a local proxy)");
  if (!url.starts_with(kScheme)) return expected("not an http:// URL");
  std::string rest = url.substr(kScheme.size());
  HttpEndpoint endpoint;
  const size_t slash = rest.find('/');
  endpoint.path = slash == std::string::npos ? "" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  if (endpoint.path.empty() || endpoint.path == "/") endpoint.path = "/api/v1/lineage";
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    char* end = nullptr;
    const long value = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || value <= 0 || value > 65535) {
      return expected("port '" + port + "' is not a number in 1..65535");
    }
    endpoint.port = static_cast<int>(value);
    authority.resize(colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) return expected("no host");
  endpoint.host = authority;
  return endpoint;
}

Status HttpPost(const HttpEndpoint& endpoint, const std::string& body, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string where = endpoint.ToString();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int resolved = ::getaddrinfo(endpoint.host.c_str(), std::to_string(endpoint.port).c_str(),
                                     &hints, &found);
  if (resolved != 0) {
    return Status::IOError("POST ", where, ": cannot resolve host: ", ::gai_strerror(resolved));
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    const int s = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           a->ai_protocol);
    if (s < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (::connect(s, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      ::close(s);
      continue;
    }
    if (!WaitFor(s, POLLOUT, deadline)) {
      last_error = "connect timed out";
      ::close(s);
      continue;
    }
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      last_error = std::strerror(error);
      ::close(s);
      continue;
    }
    fd = s;
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Status::IOError("POST ", where, ": cannot connect: ", last_error);
  Socket socket(fd);

  const std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
      endpoint.path, endpoint.host, endpoint.port, body.size(), body);
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFor(fd, POLLOUT, deadline)) return Status::IOError("POST ", where, ": send timed out");
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return Status::IOError("POST ", where, ": send failed: ", std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buffer[512];
  while (answer.find("\r\n") == std::string::npos) {
    if (!WaitFor(fd, POLLIN, deadline)) {
      return Status::IOError("POST ", where, ": no answer within ", timeout_ms, " ms");
    }
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return Status::IOError("POST ", where, ": connection closed without an answer");
    answer.append(buffer, static_cast<size_t>(n));
  }
  const std::string status_line = answer.substr(0, answer.find("\r\n"));
  // "HTTP/1.1 201 Created"
  const size_t space = status_line.find(' ');
  if (space != std::string::npos && status_line.size() > space + 1 &&
      status_line[space + 1] == '2') {
    return Status::OK();
  }
  return Status::IOError("POST ", where, ": answered '", status_line, "'");
}

}  // namespace fst::lineage
