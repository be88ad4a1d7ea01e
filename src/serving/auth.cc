#include "featherstone/serving/auth.h"

#include <algorithm>
#include <filesystem>
#include <span>

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <yaml-cpp/yaml.h>

#include "featherstone/core/closest_name.h"
#include "featherstone/definitions/model.h"
#include "featherstone/definitions/yaml_keys.h"

namespace fst::serving {
namespace {

using Keys = std::span<const std::string_view>;
using definitions::DescribeYaml;

constexpr std::string_view kTopKeys[] = {"tokens"};
constexpr std::string_view kEntryKeys[] = {"name", "sha256", "scopes", "project"};
constexpr std::string_view kScopeKinds =
    "read:service/NAME, read:view/NAME, push:source/NAME (NAME or * for all), metrics, "
    "catalog or admin";
constexpr std::string_view kHeader =
    "# Bearer tokens of `featherstone serve --auth FILE`, stored as the SHA-256 of each token.\n"
    "# Add one with: featherstone token new --auth FILE --name NAME --scope SCOPE\n"
    "# Scopes: read:service/NAME, read:view/NAME, push:source/NAME (NAME or *), metrics,\n"
    "# catalog, admin. docs/serving.md \"Authentication\".\n";

struct NamedKind {
  std::string_view prefix;
  ScopeKind kind;
};
constexpr NamedKind kNamedKinds[] = {{"read:service", ScopeKind::kReadService},
                                     {"read:view", ScopeKind::kReadView},
                                     {"push:source", ScopeKind::kPushSource}};
constexpr NamedKind kBareKinds[] = {{"metrics", ScopeKind::kMetrics},
                                    {"catalog", ScopeKind::kCatalog},
                                    {"admin", ScopeKind::kAdmin}};

// Names of tokens, projects and scoped objects: letters, digits, '_', '-' and '.'.
bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
  });
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHash(std::string_view text, std::array<unsigned char, 32>* out) {
  if (text.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    const int hi = HexDigit(text[2 * i]), lo = HexDigit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

std::string Join(Keys keys) {
  std::string out;
  for (std::string_view key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Status Parse(std::string_view text, std::vector<TokenEntry>* tokens) const;

  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null()) return file_;
    return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

 private:
  template <typename... Args>
  Status Error(const YAML::Mark& mark, Args&&... args) const {
    return Status::Invalid(Where(mark), ": ", std::forward<Args>(args)...);
  }
  // Scalar, unique and allowed keys.
  Status CheckKeys(const YAML::Node& map, Keys allowed, const std::string& what) const;
  Result<TokenEntry> ReadEntry(const YAML::Node& node) const;
  // The scalar text of `key`, required; `what` names the entry.
  Result<std::string> RequiredScalar(const YAML::Node& map, std::string_view key,
                                     const std::string& what) const;

  std::string file_;
};

Status Parser::CheckKeys(const YAML::Node& map, Keys allowed, const std::string& what) const {
  auto problem = definitions::FindYamlKeyProblem(map, allowed, what, [&](const std::string& key) {
    const std::string hint =
        core::ClosestName(key, std::vector<std::string>(allowed.begin(), allowed.end()));
    return hint.empty() ? " (expected " + Join(allowed) + ")" : "; did you mean '" + hint + "'?";
  });
  if (problem.has_value()) return Error(problem->mark, problem->message);
  return Status::OK();
}

Result<std::string> Parser::RequiredScalar(const YAML::Node& map, std::string_view key,
                                           const std::string& what) const {
  const YAML::Node value = map[std::string(key)];
  if (!value.IsDefined() || value.IsNull()) {
    return Error(map.Mark(), what, " is missing '", key, "'");
  }
  if (!value.IsScalar()) {
    return Error(value.Mark(), "'", key, "' of ", what, " must be a string, got ",
                 DescribeYaml(value));
  }
  return value.Scalar();
}

Result<TokenEntry> Parser::ReadEntry(const YAML::Node& node) const {
  if (!node.IsMap()) {
    return Error(node.Mark(), "each token must be a map of ", Join(kEntryKeys), ", got ",
                 DescribeYaml(node));
  }
  TokenEntry entry;
  entry.where = Where(node.Mark());
  std::string what = "token";
  const YAML::Node name = node["name"];
  if (name.IsDefined() && name.IsScalar()) what += " '" + name.Scalar() + "'";
  FST_RETURN_NOT_OK(CheckKeys(node, kEntryKeys, what));

  FST_ASSIGN_OR_RAISE(entry.name, RequiredScalar(node, "name", what));
  if (!ValidName(entry.name)) {
    return Error(name.Mark(), "token name '", entry.name,
                 "' must be letters, digits, '_', '-' or '.'");
  }
  FST_ASSIGN_OR_RAISE(std::string hash, RequiredScalar(node, "sha256", what));
  if (!ParseHash(hash, &entry.sha256)) {
    // The value is not repeated: a malformed hash is often the token itself, pasted by mistake.
    return Error(node["sha256"].Mark(), "'sha256' of ", what,
                 " must be 64 hex digits (the SHA-256 of the token), got ", hash.size(),
                 " characters; `featherstone token new` writes it");
  }

  const YAML::Node scopes = node["scopes"];
  if (!scopes.IsDefined() || scopes.IsNull()) {
    return Error(node.Mark(), what, " is missing 'scopes' (a list of ", kScopeKinds, ")");
  }
  if (!scopes.IsSequence() || scopes.size() == 0) {
    return Error(scopes.Mark(), "'scopes' of ", what, " must be a non-empty list of ",
                 kScopeKinds, "; got ", DescribeYaml(scopes));
  }
  for (const auto& item : scopes) {
    if (!item.IsScalar()) {
      return Error(item.Mark(), "each scope of ", what, " must be a string, got ",
                   DescribeYaml(item));
    }
    auto scope = Scope::Parse(item.Scalar());
    if (!scope.ok()) {
      return Error(item.Mark(), "scope of ", what, ": ", scope.status().message());
    }
    entry.scopes.push_back(std::move(*scope));
  }

  const YAML::Node project = node["project"];
  if (project.IsDefined() && !project.IsNull()) {
    if (!project.IsScalar() || !ValidName(project.Scalar())) {
      return Error(project.Mark(), "'project' of ", what, " must be a project name, got ",
                   DescribeYaml(project));
    }
    entry.project = project.Scalar();
  }
  return entry;
}

Status Parser::Parse(std::string_view text, std::vector<TokenEntry>* tokens) const {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error(e.mark, "invalid YAML: ", e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) return Status::OK();
  if (!root.IsMap()) {
    return Error(root.Mark(), "the top level must be a map with 'tokens', got ",
                 DescribeYaml(root));
  }
  FST_RETURN_NOT_OK(CheckKeys(root, kTopKeys, "the top-level map"));
  const YAML::Node list = root["tokens"];
  if (!list.IsDefined() || list.IsNull()) return Status::OK();
  if (!list.IsSequence()) {
    return Error(list.Mark(), "'tokens' must be a list of tokens, got ", DescribeYaml(list));
  }
  for (const auto& item : list) {
    FST_ASSIGN_OR_RAISE(TokenEntry entry, ReadEntry(item));
    for (const auto& other : *tokens) {
      if (other.name == entry.name) {
        return Error(item["name"].Mark(), "duplicate token name '", entry.name,
                     "' (first at ", other.where, "); names must be unique");
      }
      if (other.sha256 == entry.sha256) {
        return Error(item["sha256"].Mark(), "token '", entry.name,
                     "' has the same hash as token '", other.name, "' (", other.where,
                     "): one token under two names");
      }
    }
    tokens->push_back(std::move(entry));
  }
  return Status::OK();
}

// The column of the '-' that starts the first item of the block list `list` in `text`, or -1.
int DashColumn(std::string_view text, const YAML::Node& list) {
  if (list.size() == 0) return -1;
  const YAML::Mark mark = list[0].Mark();
  if (mark.is_null()) return -1;
  size_t start = 0;
  for (int line = 0; line < mark.line; ++line) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return -1;
    ++start;
  }
  const std::string_view line = text.substr(start, static_cast<size_t>(mark.column) + 1);
  const size_t dash = line.rfind('-');
  if (dash == std::string_view::npos) return -1;
  // Only blanks may stand before the dash.
  if (line.substr(0, dash).find_first_not_of(' ') != std::string_view::npos) return -1;
  return static_cast<int>(dash);
}

std::string EntryText(const TokenEntry& entry, int dash_column) {
  const std::string pad(static_cast<size_t>(dash_column), ' ');
  std::string scopes;
  for (const auto& scope : entry.scopes) scopes += (scopes.empty() ? "" : ", ") + scope.ToString();
  std::string out = pad + "- name: " + entry.name + "\n" + pad + "  sha256: " +
                    Hex(entry.sha256.data(), entry.sha256.size()) + "\n" + pad + "  scopes: [" +
                    scopes + "]\n";
  if (!entry.project.empty()) out += pad + "  project: " + entry.project + "\n";
  return out;
}

// Whether `text` parses to `expected`, entry by entry.
bool ReadsBackAs(std::string_view text, const std::vector<TokenEntry>& expected) {
  auto parsed = TokenFile::Parse(text, "");
  if (!parsed.ok() || parsed->tokens().size() != expected.size()) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    const TokenEntry& a = parsed->tokens()[i];
    const TokenEntry& b = expected[i];
    if (a.name != b.name || a.sha256 != b.sha256 || a.project != b.project ||
        a.scopes.size() != b.scopes.size()) {
      return false;
    }
    for (size_t s = 0; s < a.scopes.size(); ++s) {
      if (a.scopes[s].ToString() != b.scopes[s].ToString()) return false;
    }
  }
  return true;
}

// `text` with `entry` added: appended when the file's list is in block style (comments and
// layout kept), else the whole file written anew.
Result<std::string> WithEntry(std::string text, const std::vector<TokenEntry>& existing,
                              const TokenEntry& entry) {
  std::vector<TokenEntry> expected = existing;
  expected.push_back(entry);
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::string appended;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    appended = std::string(kHeader) + "tokens:\n" + EntryText(entry, 2);
  } else {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception&) {
    }
    const YAML::Node list = root.IsMap() ? root["tokens"] : YAML::Node();
    if (!list.IsDefined() || list.IsNull()) {
      appended = text + "tokens:\n" + EntryText(entry, 2);
    } else if (list.IsSequence() && list.Style() != YAML::EmitterStyle::Flow) {
      const int dash = DashColumn(text, list);
      if (dash >= 0) appended = text + EntryText(entry, dash);
    }
  }
  if (!appended.empty() && ReadsBackAs(appended, expected)) return appended;
  std::string rewritten = std::string(kHeader) + "tokens:\n";
  for (const auto& e : expected) rewritten += EntryText(e, 2);
  if (ReadsBackAs(rewritten, expected)) return rewritten;
  return Status::Invalid("token name '", entry.name, "' or project '", entry.project,
                         "' does not read back from YAML as written; choose another");
}

// The whole file at `path`; IOError naming `path` when it cannot be read.
Result<std::string> ReadText(arrow::fs::FileSystem& fs, const std::string& path) {
  auto read = [&]() -> Result<std::string> {
    FST_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(std::filesystem::absolute(path).string()));
    FST_ASSIGN_OR_RAISE(int64_t size, input->GetSize());
    FST_ASSIGN_OR_RAISE(auto buffer, input->ReadAt(0, size));
    FST_RETURN_NOT_OK(input->Close());
    return buffer->ToString();
  };
  auto text = read();
  if (!text.ok()) return Status::IOError(path, ": cannot be read: ", text.status().message());
  return text;
}

Status WriteAtomically(arrow::fs::FileSystem& fs, const std::string& path,
                       const std::string& text) {
  const std::string temp = path + ".tmp";
  auto write = [&]() -> Status {
    FST_ASSIGN_OR_RAISE(auto out, fs.OpenOutputStream(temp));
    FST_RETURN_NOT_OK(out->Write(text.data(), static_cast<int64_t>(text.size())));
    FST_RETURN_NOT_OK(out->Close());
    return fs.Move(temp, path);
  };
  Status status = write();
  if (!status.ok()) {
    (void)fs.DeleteFile(temp);
    return Status::IOError("cannot write ", path, ": ", status.message());
  }
  return Status::OK();
}

}  // namespace

std::string Scope::ToString() const {
  for (const auto& named : kNamedKinds) {
    if (named.kind == kind) return std::string(named.prefix) + "/" + name;
  }
  for (const auto& bare : kBareKinds) {
    if (bare.kind == kind) return std::string(bare.prefix);
  }
  return "?";
}

bool Scope::Grants(const Scope& needed) const {
  if (kind == ScopeKind::kAdmin) return true;
  return kind == needed.kind && (name == "*" || name == needed.name);
}

Result<Scope> Scope::Parse(std::string_view text) {
  for (const auto& bare : kBareKinds) {
    if (text == bare.prefix) return Scope{bare.kind, ""};
  }
  const size_t slash = text.find('/');
  const std::string_view prefix = text.substr(0, slash);
  for (const auto& named : kNamedKinds) {
    if (prefix != named.prefix) continue;
    if (slash == std::string_view::npos) {
      return Status::Invalid("scope '", text, "' needs a name: ", named.prefix, "/NAME, or ",
                             named.prefix, "/* for all");
    }
    const std::string_view name = text.substr(slash + 1);
    if (name != "*" && !ValidName(name)) {
      return Status::Invalid("scope '", text, "': expected ", named.prefix,
                             "/NAME with NAME letters, digits, '_', '-' or '.', or * for all");
    }
    return Scope{named.kind, std::string(name)};
  }
  return Status::Invalid("unknown scope '", text, "'; expected ", kScopeKinds);
}

Result<TokenFile> TokenFile::Parse(std::string_view text, const std::string& file) {
  TokenFile out;
  FST_RETURN_NOT_OK(Parser(file).Parse(text, &out.tokens_));
  return out;
}

Result<TokenFile> TokenFile::Load(arrow::fs::FileSystem& fs, const std::string& path) {
  FST_ASSIGN_OR_RAISE(std::string text, ReadText(fs, path));
  return Parse(text, path);
}

const TokenEntry* TokenFile::Find(std::string_view token) const {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  const TokenEntry* found = nullptr;
  for (const auto& entry : tokens_) {
    if (CRYPTO_memcmp(digest.data(), entry.sha256.data(), digest.size()) == 0) found = &entry;
  }
  return found;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  auto trim = [](std::string_view s) {
    const size_t begin = s.find_first_not_of(" \t");
    if (begin == std::string_view::npos) return std::string_view();
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
  };
  authorization = trim(authorization);
  if (!authorization.starts_with(kBearer)) return std::nullopt;
  const std::string_view token = trim(authorization.substr(kBearer.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

Status CheckAccess(const TokenEntry& token, std::string_view project,
                   const std::vector<Scope>& needed) {
  if (!token.project.empty() && token.project != project) {
    return Status::Invalid("token '", token.name, "' is for project '", token.project,
                           "'; this server serves project '", project, "'");
  }
  std::string missing;
  for (const auto& scope : needed) {
    const bool granted = std::any_of(token.scopes.begin(), token.scopes.end(),
                                     [&](const Scope& held) { return held.Grants(scope); });
    const std::string text = scope.ToString();
    if (granted || (", " + missing + ",").find(", " + text + ",") != std::string::npos) continue;
    missing += (missing.empty() ? "" : ", ") + text;
  }
  if (missing.empty()) return Status::OK();
  return Status::Invalid("token '", token.name, "' needs ", missing);
}

Result<std::vector<Scope>> LookupScopes(const std::string& service,
                                        const std::vector<std::string>& features) {
  if (!service.empty()) return std::vector<Scope>{{ScopeKind::kReadService, service}};
  std::vector<Scope> scopes;
  for (const auto& item : features) {
    size_t start = 0;
    while (start <= item.size()) {
      const size_t comma = std::min(item.find(',', start), item.size());
      std::string text = item.substr(start, comma - start);
      start = comma + 1;
      text.erase(0, text.find_first_not_of(' '));
      text.erase(text.find_last_not_of(' ') + 1);
      if (text.empty()) continue;
      FST_ASSIGN_OR_RAISE(auto ref, definitions::ParseFeatureRef(text));
      const bool seen = std::any_of(scopes.begin(), scopes.end(),
                                    [&](const Scope& s) { return s.name == ref.view; });
      if (!seen) scopes.push_back({ScopeKind::kReadView, ref.view});
    }
  }
  return scopes;
}

std::string Sha256Hex(std::string_view token) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return Hex(digest.data(), digest.size());
}

Result<std::string> NewToken(arrow::fs::FileSystem& fs, const std::string& path,
                             const std::string& name, const std::vector<std::string>& scopes,
                             const std::string& project) {
  if (!ValidName(name)) {
    return Status::Invalid("--name '", name, "': expected letters, digits, '_', '-' or '.'");
  }
  if (!project.empty() && !ValidName(project)) {
    return Status::Invalid("--project '", project, "': expected a project name");
  }
  if (scopes.empty()) return Status::Invalid("give at least one --scope: ", kScopeKinds);
  TokenEntry entry;
  entry.name = name;
  entry.project = project;
  for (const auto& text : scopes) {
    auto scope = Scope::Parse(text);
    if (!scope.ok()) return Status::Invalid("--scope: ", scope.status().message());
    entry.scopes.push_back(std::move(*scope));
  }

  const std::string absolute = std::filesystem::absolute(path).string();
  FST_ASSIGN_OR_RAISE(auto info, fs.GetFileInfo(absolute));
  std::string text;
  TokenFile file;
  if (info.type() != arrow::fs::FileType::NotFound) {
    FST_ASSIGN_OR_RAISE(text, ReadText(fs, path));
    FST_ASSIGN_OR_RAISE(file, TokenFile::Parse(text, path));
  }
  for (const auto& other : file.tokens()) {
    if (other.name == name) {
      return Status::Invalid(path, " already has a token named '", name, "' (", other.where,
                             "); choose another name, or delete that entry to replace it");
    }
  }

  std::array<unsigned char, 32> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return Status::IOError("OpenSSL could not produce random bytes for the token");
  }
  const std::string token = "fst_" + Hex(random.data(), random.size());
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), entry.sha256.data());
  FST_ASSIGN_OR_RAISE(std::string updated, WithEntry(std::move(text), file.tokens(), entry));
  FST_RETURN_NOT_OK(WriteAtomically(fs, absolute, updated));
  return token;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Status CheckBindPolicy(const std::string& host, bool has_auth, bool insecure) {
  if (has_auth && insecure) {
    return Status::Invalid("--insecure serves without authentication and --auth turns it on: "
                           "give one of them");
  }
  if (has_auth || insecure || IsLoopback(host)) return Status::OK();
  return Status::Invalid("refusing to serve on ", host, " without authentication: give --auth "
                         "FILE (scoped bearer tokens; `featherstone token new` makes them), or "
                         "--insecure to serve every client on that address; without either, "
                         "serve binds loopback only (--host 127.0.0.1)");
}

}  // namespace fst::serving
