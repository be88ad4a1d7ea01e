// A minimal HTTP/1.1 POST over plain TCP, for the OpenLineage HTTP sink (emitter.h): one
// request per connection, bounded by a timeout, no TLS, no redirects.
#pragma once

#include <string>

#include "featherstone/core/status.h"

namespace fst::lineage {

struct HttpEndpoint {
  std::string host;
  int port = 80;
  std::string path;  // starts with '/'
  std::string ToString() const;  // "http://host:port/path"
};

// Parses "http://HOST[:PORT][/PATH]"; without a path (or with "/") the path is Marquez's
// /api/v1/lineage. Errors: Invalid naming the URL and what is expected (https is refused).
Result<HttpEndpoint> ParseHttpEndpoint(const std::string& url);

// POSTs `body` as application/json; OK for a 2xx answer. The whole exchange (resolve, connect,
// send, read the status line) takes at most about `timeout_ms`. Thread-safe.
// Errors: IOError naming the endpoint and the cause (refused, timed out, HTTP status).
Status HttpPost(const HttpEndpoint& endpoint, const std::string& body, int timeout_ms);

}  // namespace fst::lineage
