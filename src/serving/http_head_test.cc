#include "http_head.h"

#include <gtest/gtest.h>

#include <sstream>

#include <boost/beast/http.hpp>

namespace fst::serving {
namespace {

namespace http = boost::beast::http;

// The head Beast's serializer writes for the response the server used to build with it.
std::string BeastHead(int status, unsigned version, bool keep_alive,
                      const std::string& content_type, const std::string& body) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(static_cast<unsigned>(status));
  res.set(http::field::server, "featherstone");
  res.set(http::field::content_type, content_type);
  res.body() = body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  const std::string text = out.str();
  return text.substr(0, text.size() - body.size());
}

TEST(AppendResponseHead, SameBytesAsBeast) {
  const std::string bodies[] = {"", "{\"status\":\"ok\"}", std::string(70'000, 'x')};
  for (int status : {200, 400, 401, 403, 404, 405, 413, 422, 500, 503}) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {true, false}) {
        for (const char* type : {"application/json", "text/plain; version=0.0.4; charset=utf-8"}) {
          for (const auto& body : bodies) {
            std::string head = "left as is|";
            AppendResponseHead(status, version, keep_alive, type, body.size(), &head);
            EXPECT_EQ(head, "left as is|" + BeastHead(status, version, keep_alive, type, body))
                << status << " " << version << " " << keep_alive;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace fst::serving
