#include "featherstone/serving/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "featherstone/core/file_system.h"

namespace fst::serving {
namespace {

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("FST_TEST_TMP");
  std::filesystem::path dir = root != nullptr ? root : std::filesystem::temp_directory_path();
  dir /= "serving_auth_test";
  dir /= name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kAlphaHash = Sha256Hex("alpha-token");
const std::string kBetaHash = Sha256Hex("beta-token");

// The message of parsing `text` as "tokens.yaml", which must fail.
std::string ParseError(const std::string& text) {
  auto parsed = TokenFile::Parse(text, "tokens.yaml");
  EXPECT_FALSE(parsed.ok()) << text;
  if (parsed.ok()) return "";
  EXPECT_TRUE(parsed.status().IsInvalid());
  return parsed.status().message();
}

Scope S(const std::string& text) {
  auto scope = Scope::Parse(text);
  EXPECT_TRUE(scope.ok()) << text << ": " << scope.status().ToString();
  return scope.ok() ? *scope : Scope{};
}

TEST(Sha256Hex, MatchesTheStandardVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Scope, ParsesEveryKindAndPrintsItBack) {
  for (const char* text : {"read:service/churn_model", "read:view/customer_features",
                           "push:source/payments", "read:service/*", "metrics", "catalog",
                           "admin"}) {
    EXPECT_EQ(S(text).ToString(), text);
  }
  EXPECT_EQ(S("read:view/v1").kind, ScopeKind::kReadView);
  EXPECT_EQ(S("read:view/v1").name, "v1");
}

TEST(Scope, RefusesUnknownKindsAndBadNames) {
  auto unknown = Scope::Parse("reed:service/x");
  ASSERT_TRUE(unknown.status().IsInvalid());
  EXPECT_NE(unknown.status().message().find("unknown scope 'reed:service/x'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("read:service/NAME"), std::string::npos);
  auto no_name = Scope::Parse("read:service");
  ASSERT_TRUE(no_name.status().IsInvalid());
  EXPECT_NE(no_name.status().message().find("needs a name"), std::string::npos);
  EXPECT_TRUE(Scope::Parse("read:service/").status().IsInvalid());
  EXPECT_TRUE(Scope::Parse("read:service/churn*").status().IsInvalid());
  EXPECT_TRUE(Scope::Parse("metrics/x").status().IsInvalid());
  EXPECT_TRUE(Scope::Parse("").status().IsInvalid());
}

TEST(Scope, GrantsByKindNameWildcardAndAdmin) {
  EXPECT_TRUE(S("read:service/churn").Grants(S("read:service/churn")));
  EXPECT_FALSE(S("read:service/churn").Grants(S("read:service/fraud")));
  EXPECT_TRUE(S("read:service/*").Grants(S("read:service/fraud")));
  // A service scope is not a view scope, even for the views the service reads.
  EXPECT_FALSE(S("read:service/*").Grants(S("read:view/customer_features")));
  EXPECT_FALSE(S("read:view/*").Grants(S("push:source/orders")));
  EXPECT_TRUE(S("push:source/*").Grants(S("push:source/orders")));
  EXPECT_FALSE(S("metrics").Grants(S("catalog")));
  EXPECT_TRUE(S("metrics").Grants(S("metrics")));
  for (const char* needed : {"read:service/a", "read:view/b", "push:source/c", "metrics",
                             "catalog", "admin"}) {
    EXPECT_TRUE(S("admin").Grants(S(needed))) << needed;
  }
}

TEST(TokenFile, ParsesAGoodFileAndFindsTokensByHash) {
  const std::string text = "# serving tokens\n"
                           "tokens:\n"
                           "  - name: churn-api\n"
                           "    sha256: " + kAlphaHash + "\n"
                           "    scopes: [read:service/churn_model, metrics]\n"
                           "  - name: ops\n"
                           "    sha256: " + kBetaHash + "\n"
                           "    scopes:\n"
                           "      - admin\n"
                           "    project: shop\n";
  auto file = TokenFile::Parse(text, "tokens.yaml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->tokens().size(), 2u);
  const TokenEntry& churn = file->tokens()[0];
  EXPECT_EQ(churn.name, "churn-api");
  EXPECT_EQ(churn.where, "tokens.yaml:3:5");
  ASSERT_EQ(churn.scopes.size(), 2u);
  EXPECT_EQ(churn.scopes[0].ToString(), "read:service/churn_model");
  EXPECT_EQ(churn.scopes[1].kind, ScopeKind::kMetrics);
  EXPECT_TRUE(churn.project.empty());
  EXPECT_EQ(file->tokens()[1].project, "shop");

  EXPECT_EQ(file->Find("alpha-token"), &file->tokens()[0]);
  EXPECT_EQ(file->Find("beta-token"), &file->tokens()[1]);
  EXPECT_EQ(file->Find("alpha-toke"), nullptr);
  EXPECT_EQ(file->Find(""), nullptr);
  // The file holds hashes: the hash itself is not a token.
  EXPECT_EQ(file->Find(kAlphaHash), nullptr);
}

TEST(TokenFile, HashesMayBeUppercase) {
  std::string upper = kAlphaHash;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto file = TokenFile::Parse(
      "tokens:\n  - {name: a, sha256: " + upper + ", scopes: [metrics]}\n", "t.yaml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_NE(file->Find("alpha-token"), nullptr);
}

TEST(TokenFile, EmptyFileOrEmptyListHasNoTokens) {
  for (const char* text : {"", "# nothing yet\n", "tokens:\n", "tokens: []\n"}) {
    auto file = TokenFile::Parse(text, "tokens.yaml");
    ASSERT_TRUE(file.ok()) << text << ": " << file.status().ToString();
    EXPECT_TRUE(file->tokens().empty());
    EXPECT_EQ(file->Find("anything"), nullptr);
  }
}

TEST(TokenFile, ErrorsNameTheLineColumnValueAndWhatWasExpected) {
  const std::string entry = "  - name: a\n    sha256: " + kAlphaHash + "\n    scopes: [metrics]\n";
  EXPECT_EQ(ParseError("tokens:\n" + entry + "users: []\n"),
            "tokens.yaml:5:1: unknown key 'users' in the top-level map (expected tokens)");
  EXPECT_EQ(ParseError("tokens:\n" + entry + "    scope: [admin]\n"),
            "tokens.yaml:5:5: unknown key 'scope' in token 'a'; did you mean 'scopes'?");
  EXPECT_EQ(
      ParseError("tokens:\n  - name: a\n    sha256: " + kAlphaHash +
                 "\n    scopes: [metrics, reed:service/churn]\n"),
      "tokens.yaml:4:23: scope of token 'a': unknown scope 'reed:service/churn'; expected "
      "read:service/NAME, read:view/NAME, push:source/NAME (NAME or * for all), metrics, "
      "catalog or admin");
  EXPECT_EQ(ParseError("tokens:\n  - name: a\n    sha256: abc123\n    scopes: [metrics]\n"),
            "tokens.yaml:3:13: 'sha256' of token 'a' must be 64 hex digits (the SHA-256 of the "
            "token), got 6 characters; `featherstone token new` writes it");
  EXPECT_EQ(ParseError("tokens:\n" + entry + "  - name: a\n    sha256: " + kBetaHash +
                       "\n    scopes: [admin]\n"),
            "tokens.yaml:5:11: duplicate token name 'a' (first at tokens.yaml:2:5); names must "
            "be unique");
  EXPECT_EQ(ParseError("tokens:\n" + entry + "  - name: b\n    sha256: " + kAlphaHash +
                       "\n    scopes: [admin]\n"),
            "tokens.yaml:6:13: token 'b' has the same hash as token 'a' (tokens.yaml:2:5): one "
            "token under two names");
  EXPECT_EQ(ParseError("tokens:\n  - name: a\n    sha256: " + kAlphaHash + "\n"),
            "tokens.yaml:2:5: token 'a' is missing 'scopes' (a list of read:service/NAME, "
            "read:view/NAME, push:source/NAME (NAME or * for all), metrics, catalog or admin)");
  EXPECT_EQ(ParseError("tokens:\n  - sha256: " + kAlphaHash + "\n    scopes: [admin]\n"),
            "tokens.yaml:2:5: token is missing 'name'");
  EXPECT_EQ(ParseError("tokens:\n  - name: a b\n    sha256: " + kAlphaHash +
                       "\n    scopes: [admin]\n"),
            "tokens.yaml:2:11: token name 'a b' must be letters, digits, '_', '-' or '.'");
  EXPECT_EQ(ParseError("tokens: {a: 1}\n"),
            "tokens.yaml:1:9: 'tokens' must be a list of tokens, got a map");
  EXPECT_EQ(ParseError("- a\n"), "tokens.yaml:1:1: the top level must be a map with 'tokens', "
                                 "got a list");
  EXPECT_NE(ParseError("tokens: [\n").find("tokens.yaml:"), std::string::npos);
}

TEST(TokenFile, AMalformedHashIsNotEchoed) {
  // A token pasted where its hash belongs must not reach the server's stderr.
  const std::string message =
      ParseError("tokens:\n  - name: a\n    sha256: my-secret-token\n    scopes: [admin]\n");
  EXPECT_EQ(message.find("my-secret-token"), std::string::npos) << message;
}

TEST(TokenFile, LoadReportsAnUnreadableFile) {
  auto missing = TokenFile::Load(*core::LocalFs(), TempDir("load") + "/absent.yaml");
  ASSERT_TRUE(missing.status().IsIOError());
  EXPECT_NE(missing.status().message().find("absent.yaml: cannot be read"), std::string::npos);
}

TEST(BearerToken, TakesTheTokenOfABearerHeaderOnly) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("  Bearer   abc  "), "abc");
  EXPECT_EQ(BearerToken(""), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken("Basic YWxwaGE="), std::nullopt);
}

TEST(CheckAccess, NamesEveryMissingScopeOnce) {
  TokenEntry token{"churn-api", {}, {S("read:service/churn_model"), S("read:view/a")}, "", ""};
  EXPECT_TRUE(CheckAccess(token, "shop", {S("read:service/churn_model")}).ok());
  EXPECT_TRUE(CheckAccess(token, "shop", {}).ok());
  const Status denied = CheckAccess(
      token, "shop", {S("read:view/a"), S("read:view/b"), S("read:view/c"), S("read:view/b")});
  ASSERT_TRUE(denied.IsInvalid());
  EXPECT_EQ(denied.message(), "token 'churn-api' needs read:view/b, read:view/c");
  EXPECT_EQ(CheckAccess(token, "shop", {S("metrics")}).message(),
            "token 'churn-api' needs metrics");
}

TEST(CheckAccess, AdminGrantsEverythingWithinItsProject) {
  TokenEntry admin{"ops", {}, {S("admin")}, "shop", ""};
  for (const char* needed : {"read:service/x", "read:view/y", "push:source/z", "metrics",
                             "catalog"}) {
    EXPECT_TRUE(CheckAccess(admin, "shop", {S(needed)}).ok()) << needed;
  }
  const Status other = CheckAccess(admin, "bank", {S("metrics")});
  ASSERT_TRUE(other.IsInvalid());
  EXPECT_EQ(other.message(), "token 'ops' is for project 'shop'; this server serves project "
                             "'bank'");
  admin.project.clear();
  EXPECT_TRUE(CheckAccess(admin, "bank", {S("metrics")}).ok());
}

TEST(LookupScopes, AServiceOrEveryViewNamed) {
  auto service = LookupScopes("churn_model", {});
  ASSERT_TRUE(service.ok());
  ASSERT_EQ(service->size(), 1u);
  EXPECT_EQ((*service)[0].ToString(), "read:service/churn_model");

  auto views = LookupScopes("", {"a:x", "b:y, a:z", " c:w ,", "b:v"});
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  std::vector<std::string> texts;
  for (const auto& scope : *views) texts.push_back(scope.ToString());
  EXPECT_EQ(texts, (std::vector<std::string>{"read:view/a", "read:view/b", "read:view/c"}));

  EXPECT_TRUE(LookupScopes("", {"a:x", "no_colon"}).status().IsInvalid());
}

TEST(NewToken, CreatesTheFileAndTheTokenMatchesItsEntry) {
  const std::string path = TempDir("new") + "/tokens.yaml";
  auto fs = core::LocalFs();
  auto token = NewToken(*fs, path, "churn-api", {"read:service/churn_model", "metrics"}, "");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(token->starts_with("fst_"));
  EXPECT_EQ(token->size(), 4u + 64u);
  const std::string text = ReadAll(path);
  EXPECT_EQ(text.find(*token), std::string::npos) << "the file keeps the hash, not the token";
  EXPECT_NE(text.find(Sha256Hex(*token)), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  auto second = NewToken(*fs, path, "pusher", {"push:source/*"}, "shop");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(*second, *token);
  auto file = TokenFile::Load(*fs, path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->tokens().size(), 2u);
  EXPECT_EQ(file->Find(*token)->name, "churn-api");
  EXPECT_EQ(file->Find(*second)->name, "pusher");
  EXPECT_EQ(file->Find(*second)->project, "shop");
  EXPECT_EQ(file->Find(*second)->scopes[0].ToString(), "push:source/*");
}

TEST(NewToken, AppendsKeepingCommentsAndIndentation) {
  const std::string path = TempDir("append") + "/tokens.yaml";
  const std::string before = "# our tokens\ntokens:\n- name: a   # the first\n  sha256: " +
                             kAlphaHash + "\n  scopes: [metrics]\n# end of list\n";
  std::ofstream(path) << before;
  auto token = NewToken(*core::LocalFs(), path, "b", {"catalog"}, "");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  const std::string after = ReadAll(path);
  EXPECT_EQ(after.substr(0, before.size()), before);
  EXPECT_EQ(after.substr(before.size()),
            "- name: b\n  sha256: " + Sha256Hex(*token) + "\n  scopes: [catalog]\n");
}

TEST(NewToken, RewritesAFlowStyleList) {
  const std::string path = TempDir("flow") + "/tokens.yaml";
  std::ofstream(path) << "tokens: [{name: a, sha256: " << kAlphaHash << ", scopes: [admin]}]\n";
  auto token = NewToken(*core::LocalFs(), path, "b", {"read:view/*"}, "");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto file = TokenFile::Load(*core::LocalFs(), path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->tokens().size(), 2u);
  EXPECT_EQ(file->Find("alpha-token")->name, "a");
  EXPECT_EQ(file->Find(*token)->name, "b");
}

TEST(NewToken, RefusesTakenNamesBadScopesAndBadFiles) {
  const std::string path = TempDir("refuse") + "/tokens.yaml";
  auto fs = core::LocalFs();
  ASSERT_TRUE(NewToken(*fs, path, "a", {"admin"}, "").ok());
  const std::string before = ReadAll(path);
  const Status taken = NewToken(*fs, path, "a", {"metrics"}, "").status();
  ASSERT_TRUE(taken.IsInvalid());
  EXPECT_NE(taken.message().find("already has a token named 'a'"), std::string::npos);
  const Status scope = NewToken(*fs, path, "b", {"read:servce/x"}, "").status();
  ASSERT_TRUE(scope.IsInvalid());
  EXPECT_NE(scope.message().find("--scope: unknown scope 'read:servce/x'"), std::string::npos);
  EXPECT_TRUE(NewToken(*fs, path, "b", {}, "").status().IsInvalid());
  EXPECT_TRUE(NewToken(*fs, path, "b c", {"admin"}, "").status().IsInvalid());
  EXPECT_EQ(ReadAll(path), before);

  std::ofstream(path) << "tokens:\n  - name: x\n    sha256: nope\n    scopes: [admin]\n";
  const Status bad = NewToken(*fs, path, "b", {"admin"}, "").status();
  ASSERT_TRUE(bad.IsInvalid());
  EXPECT_NE(bad.message().find(path + ":3:13:"), std::string::npos) << bad.message();
}

TEST(NewToken, AFailedWriteLeavesTheFileAsItWas) {
  const std::string path = TempDir("fault") + "/tokens.yaml";
  ASSERT_TRUE(NewToken(*core::LocalFs(), path, "a", {"admin"}, "").ok());
  const std::string before = ReadAll(path);
  for (int64_t op = 1;; ++op) {
    core::FaultInjectionFileSystem fs(core::LocalFs());
    fs.FailAt(op);
    auto token = NewToken(fs, path, "b", {"metrics"}, "");
    if (token.ok()) break;  // past the last write: nothing left to fail
    EXPECT_TRUE(token.status().IsIOError()) << token.status().ToString();
    EXPECT_EQ(ReadAll(path), before) << "failed operation " << op;
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp")) << "failed operation " << op;
    ASSERT_LT(op, 20);
  }
  EXPECT_NE(ReadAll(path), before);
}

TEST(BindPolicy, LoopbackOnlyWithoutAuth) {
  EXPECT_TRUE(CheckBindPolicy("127.0.0.1", false, false).ok());
  EXPECT_TRUE(CheckBindPolicy("localhost", false, false).ok());
  EXPECT_TRUE(CheckBindPolicy("::1", false, false).ok());
  const Status refused = CheckBindPolicy("0.0.0.0", false, false);
  ASSERT_TRUE(refused.IsInvalid());
  EXPECT_NE(refused.message().find("--auth"), std::string::npos);
  EXPECT_NE(refused.message().find("--insecure"), std::string::npos);
  EXPECT_TRUE(CheckBindPolicy("0.0.0.0", true, false).ok());
  EXPECT_TRUE(CheckBindPolicy("0.0.0.0", false, true).ok());
  EXPECT_TRUE(CheckBindPolicy("127.0.0.1", true, true).IsInvalid());
}

}  // namespace
}  // namespace fst::serving
