#include "featherstone/serving/auth.h"

#include <fstream>

namespace fst::serving {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

bool SameToken(std::string_view a, std::string_view b) {
  // Constant time in the content; the length of a token is not a secret worth hiding.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

Result<TokenSet> TokenSet::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("--token-file ", path, ": cannot be read");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view token = Trim(line);
    if (token.empty() || token.front() == '#') continue;
    tokens.emplace_back(token);
  }
  if (tokens.empty()) {
    return Status::Invalid("--token-file ", path, ": no token in it (one token per line; '#' "
                           "starts a comment)");
  }
  return FromTokens(std::move(tokens));
}

TokenSet TokenSet::FromTokens(std::vector<std::string> tokens) {
  TokenSet set;
  set.tokens_ = std::move(tokens);
  return set;
}

AuthResult TokenSet::Check(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  authorization = Trim(authorization);
  if (authorization.empty()) return AuthResult::kMissing;
  if (authorization.size() < kBearer.size() ||
      authorization.substr(0, kBearer.size()) != kBearer) {
    return AuthResult::kMissing;
  }
  const std::string_view given = Trim(authorization.substr(kBearer.size()));
  bool found = false;
  for (const auto& token : tokens_) found |= SameToken(given, token);
  return found ? AuthResult::kAllowed : AuthResult::kWrong;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Status CheckBindPolicy(const std::string& host, bool has_tokens, bool allow_unauthenticated) {
  if (has_tokens || allow_unauthenticated || IsLoopback(host)) return Status::OK();
  return Status::Invalid("refusing to serve on ", host, " without authentication: give "
                         "--token-file FILE (bearer tokens), or --allow-unauthenticated to "
                         "serve every client on that address; without either, serve binds "
                         "loopback only (--host 127.0.0.1)");
}

}  // namespace fst::serving
