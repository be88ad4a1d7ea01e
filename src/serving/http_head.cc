#include "http_head.h"

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

namespace fst::serving {

void AppendResponseHead(int status, unsigned version, bool keep_alive,
                        std::string_view content_type, size_t content_length, std::string* out) {
  namespace http = boost::beast::http;
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  fmt::format_to(std::back_inserter(*out), "HTTP/{}.{} {} {}\r\nServer: featherstone\r\n"
                 "Content-Type: {}\r\n", version / 10, version % 10, status,
                 std::string_view(reason.data(), reason.size()), content_type);
  if (version >= 11 && !keep_alive) *out += "Connection: close\r\n";
  if (version < 11 && keep_alive) *out += "Connection: keep-alive\r\n";
  fmt::format_to(std::back_inserter(*out), "Content-Length: {}\r\n\r\n", content_length);
}

}  // namespace fst::serving
