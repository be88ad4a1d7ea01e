// Bearer-token authentication and the bind policy of `featherstone serve`: with a token file,
// every endpoint but /health needs "Authorization: Bearer TOKEN"; without one, the server
// binds loopback only unless the operator explicitly allows an unauthenticated address.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::serving {

enum class AuthResult { kAllowed, kMissing /* 401 */, kWrong /* 403 */ };

class TokenSet {
 public:
  // Reads one token per line; blank lines and lines starting with '#' are skipped, spaces
  // around a token trimmed. Errors: IOError when unreadable; Invalid when no token is left.
  static Result<TokenSet> Load(const std::string& path);
  static TokenSet FromTokens(std::vector<std::string> tokens);

  // Checks an Authorization header value ("" when absent). Tokens are compared in constant
  // time; no token value is ever logged or echoed.
  AuthResult Check(std::string_view authorization) const;
  size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
};

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

// Errors: Invalid explaining the choice when `host` is not loopback, there are no tokens and
// `allow_unauthenticated` is false.
Status CheckBindPolicy(const std::string& host, bool has_tokens, bool allow_unauthenticated);

}  // namespace fst::serving
