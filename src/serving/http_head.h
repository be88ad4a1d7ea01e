// The status line and header fields of a `featherstone serve` response, as text: the bytes
// Boost.Beast's serializer writes for the http::response the server answers with (Server,
// Content-Type, Connection when the version's default does not hold, Content-Length), written
// without building that message's field list for every response.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fst::serving {

// Appends "HTTP/1.1 200 OK\r\nServer: featherstone\r\nContent-Type: ...\r\n[Connection:
// ...\r\n]Content-Length: N\r\n\r\n" to `out`. `version`: 10 or 11, as Beast numbers them;
// `keep_alive`: whether the connection stays open (HTTP/1.1 says "Connection: close" when
// not, HTTP/1.0 "Connection: keep-alive" when so).
void AppendResponseHead(int status, unsigned version, bool keep_alive,
                        std::string_view content_type, size_t content_length, std::string* out);

}  // namespace fst::serving
