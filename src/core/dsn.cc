#include "featherstone/core/dsn.h"

#include <string_view>

#include <libpq-fe.h>

namespace fst::core {

std::string DsnPassword(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  std::string password;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr) password = o->val;
  }
  if (options != nullptr) PQconninfoFree(options);
  return password;
}

std::string RedactedDsn(const std::string& dsn) {
  std::string out = dsn;
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.rfind('@', out.find_first_of("/?", start));
    if (at != std::string::npos && at > start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t key = out.find("password="); key != std::string::npos;
       key = out.find("password=", key + 1)) {
    const size_t value = key + 9;
    const size_t end = out.find_first_of("& ", value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return WithoutPassword(out, DsnPassword(dsn));
}

std::string WithoutPassword(std::string message, const std::string& password) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  if (password.empty()) return message;
  for (size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at)) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

}  // namespace fst::core
