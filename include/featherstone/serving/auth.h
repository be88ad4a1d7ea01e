// Scoped bearer tokens of `featherstone serve --auth FILE`, and the bind policy of serve.
// The file (docs/serving.md "Authentication") holds each token's SHA-256, never the token:
//   tokens:
//     - name: churn-api                    # for messages and metrics; never the token
//       sha256: 9f86d081884c7d65...          # 64 hex digits
//       scopes: [read:service/churn_model]
//       project: shop                      # optional: valid only on a repo of that project
// With auth on, every endpoint but /health is denied unless the caller's token carries a
// scope that grants it.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/filesystem/filesystem.h>

#include "featherstone/core/status.h"

namespace fst::serving {

// read:service/NAME: /get-online-features by that feature service. read:view/NAME: a lookup by
// feature list naming that view. push:source/NAME: /push to that source. metrics: /metrics.
// catalog: /features. admin: everything.
enum class ScopeKind { kReadService, kReadView, kPushSource, kMetrics, kCatalog, kAdmin };

struct Scope {
  ScopeKind kind = ScopeKind::kAdmin;
  std::string name;  // the object of read and push scopes, or "*" for all; empty for the rest

  // "read:service/churn_model", "metrics", ...
  std::string ToString() const;
  // Whether holding this scope allows what `needed` names (an object name, never "*").
  bool Grants(const Scope& needed) const;
  // Errors: Invalid saying what was expected (the kinds, or a name after '/').
  static Result<Scope> Parse(std::string_view text);
};

struct TokenEntry {
  std::string name;
  std::array<unsigned char, 32> sha256{};
  std::vector<Scope> scopes;
  std::string project;  // empty: any project
  std::string where;    // "FILE:LINE:COL" of the entry, for messages
};

// The tokens of one file. Read-only after loading, hence safe to share between threads.
class TokenFile {
 public:
  // Parses the file's text; `file` names it in messages. An empty text, or one without
  // `tokens`, has no tokens. Errors: Invalid "FILE:LINE:COL: ..." naming the value and what
  // was expected: bad YAML, unknown keys, a bad name, scope or hash, a repeated name or hash.
  static Result<TokenFile> Parse(std::string_view text, const std::string& file);
  // Reads and parses `path`. Errors: IOError when it cannot be read; those of Parse.
  static Result<TokenFile> Load(arrow::fs::FileSystem& fs, const std::string& path);

  const std::vector<TokenEntry>& tokens() const { return tokens_; }
  // The entry whose hash is SHA-256(token), or nullptr. Every entry is compared, each in
  // constant time, so the time taken says nothing about which hash came close.
  const TokenEntry* Find(std::string_view token) const;

 private:
  std::vector<TokenEntry> tokens_;
};

// The token of an "Authorization: Bearer TOKEN" header value; none when the value is empty or
// of another scheme.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// Whether `token` may do what every scope of `needed` names on a server of `project`.
// Errors: Invalid naming the token and what it lacks ("token 'x' needs read:view/a,
// read:view/b"), or the project it is for. Never contains the token value.
Status CheckAccess(const TokenEntry& token, std::string_view project,
                   const std::vector<Scope>& needed);

// The scopes a lookup needs: read:service/SERVICE, or read:view/V for each view its features
// ("view:feature", items may be comma-separated) name. Errors: Invalid for a feature
// reference that is not view:feature.
Result<std::vector<Scope>> LookupScopes(const std::string& service,
                                        const std::vector<std::string>& features);

// Lowercase hex of SHA-256(`token`).
std::string Sha256Hex(std::string_view token);

// Makes a token for `name` with `scopes` (texts as Scope::Parse reads them) and `project`
// (empty: any), adds its hashed entry to the file at `path` (created when absent; written to
// a temporary file then renamed over it) and returns the token: 32 random bytes from OpenSSL,
// as "fst_" and 64 hex digits. Existing entries and comments are kept. Errors: those of Load;
// Invalid for a bad or taken name, a bad scope or no scope; IOError when it cannot be written.
Result<std::string> NewToken(arrow::fs::FileSystem& fs, const std::string& path,
                             const std::string& name, const std::vector<std::string>& scopes,
                             const std::string& project);

// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

// Errors: Invalid explaining the choice when `host` is not loopback, auth is off and
// `insecure` is false, or when both auth and `insecure` are asked for.
Status CheckBindPolicy(const std::string& host, bool has_auth, bool insecure);

}  // namespace fst::serving
