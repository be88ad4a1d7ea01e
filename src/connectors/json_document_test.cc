#include "json_document.h"

#include <random>
#include <string>

#include <arrow/util/utf8.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fst::connectors::internal {
namespace {

// The reference model of a parsed value.
nlohmann::json ToReference(JsonValue value) {
  switch (value.kind()) {
    case JsonKind::kNull:
      return nullptr;
    case JsonKind::kBool:
      return value.bool_value();
    case JsonKind::kInt64:
      return value.int64_value();
    case JsonKind::kUint64:
      return value.uint64_value();
    case JsonKind::kDouble:
      return value.number_value();
    case JsonKind::kString:
      return std::string(value.string_value());
    case JsonKind::kArray: {
      auto out = nlohmann::json::array();
      value.ForEachItem([&](JsonValue item) { out.push_back(ToReference(item)); });
      return out;
    }
    case JsonKind::kObject: {
      auto out = nlohmann::json::object();
      value.ForEachMember([&](std::string_view key, JsonValue member) {
        out[std::string(key)] = ToReference(member);  // the last duplicate wins, as in nlohmann
      });
      return out;
    }
  }
  return nullptr;
}

std::string ParseError(const std::string& text) {
  JsonDocument document;
  Status status = document.Parse(text);
  EXPECT_FALSE(status.ok()) << text;
  return status.message();
}

TEST(JsonDocument, ParsesScalarsAndContainers) {
  JsonDocument document;
  const std::string text =
      R"( {"a": 1, "b": [true, false, null, -0.5e1, 18446744073709551615, -9223372036854775808],
          "c": {"d": "x"}, "e": {}, "f": []} )";
  ASSERT_TRUE(document.Parse(text).ok());
  EXPECT_EQ(ToReference(document.root()), nlohmann::json::parse(text));
  JsonValue b;
  ASSERT_TRUE(document.root().Find("b", &b));
  std::vector<JsonKind> kinds;
  b.ForEachItem([&](JsonValue item) { kinds.push_back(item.kind()); });
  EXPECT_EQ(kinds, (std::vector<JsonKind>{JsonKind::kBool, JsonKind::kBool, JsonKind::kNull,
                                          JsonKind::kDouble, JsonKind::kUint64, JsonKind::kInt64}));
  JsonValue c;
  ASSERT_TRUE(document.root().Find("c", &c));
  EXPECT_EQ(c.raw(), R"({"d": "x"})");
  EXPECT_EQ(c.Text(), R"({"d":"x"})");
  JsonValue missing;
  EXPECT_FALSE(document.root().Find("z", &missing));
}

TEST(JsonDocument, ResolvesEscapes) {
  JsonDocument document;
  ASSERT_TRUE(document.Parse(R"(["a\"b\\c\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "plain"])").ok());
  std::vector<std::string> strings;
  document.root().ForEachItem([&](JsonValue item) { strings.emplace_back(item.string_value()); });
  EXPECT_EQ(strings,
            (std::vector<std::string>{"a\"b\\c/\b\f\n\r\t", "\xC3\xA9\xF0\x9F\x98\x80", "plain"}));
}

TEST(JsonDocument, NumbersOutOfRange) {
  JsonDocument document;
  ASSERT_TRUE(document.Parse("[1e-400, 123456789012345678901234567890]").ok());
  std::vector<double> values;
  document.root().ForEachItem([&](JsonValue item) { values.push_back(item.number_value()); });
  EXPECT_EQ(values[0], 0.0);
  EXPECT_DOUBLE_EQ(values[1], 1.2345678901234568e29);
  EXPECT_EQ(ParseError("[1, 1e400]"), "column 5: number out of range");
}

TEST(JsonDocument, ErrorsNameTheColumn) {
  EXPECT_EQ(ParseError(R"({"a": 1,})"),
            "column 9: expected a member name in double quotes, found '}'");
  EXPECT_EQ(ParseError(R"({"a" 1})"), "column 6: expected ':' after a member name, found '1'");
  EXPECT_EQ(ParseError(R"([1 2])"), "column 4: expected ',' or ']', found '2'");
  EXPECT_EQ(ParseError(R"({"a": "x)"), "column 9: unterminated string");
  EXPECT_EQ(ParseError("{} x"), "column 4: unexpected 'x' after the value");
  EXPECT_EQ(ParseError(""), "column 1: expected a value, found end of line");
  EXPECT_EQ(ParseError("[01]"), "column 3: expected ',' or ']', found '1'");
  EXPECT_EQ(ParseError("[tru]"), "column 2: expected a value, found 't'");
  EXPECT_EQ(ParseError(R"(["\x"])"), "column 3: invalid escape in a string");
  EXPECT_EQ(ParseError(R"(["a\udc00"])"), "column 4: unpaired surrogate in a \\u escape");
  EXPECT_EQ(ParseError(R"(["\ud800x"])"), "column 3: unpaired surrogate in a \\u escape");
  EXPECT_EQ(ParseError(R"(["\u12"])"), "column 3: expected 4 hex digits after \\u");
  EXPECT_EQ(ParseError("[\"a\tb\"]"), "column 4: control character in a string; escape it");
  EXPECT_EQ(ParseError(std::string(300, '[') + std::string(300, ']')),
            "column 257: nested more than 256 levels deep");
}

TEST(JsonDocument, ReusesItsTapeAcrossDocuments) {
  JsonDocument document;
  ASSERT_TRUE(document.Parse(R"({"a": "\n"})").ok());
  ASSERT_TRUE(document.Parse(R"({"b": 2})").ok());
  EXPECT_EQ(ToReference(document.root()), nlohmann::json::parse(R"({"b": 2})"));
  EXPECT_FALSE(document.Parse("{").ok());
}

nlohmann::json RandomValue(std::mt19937_64& random, int depth) {
  const int kind = static_cast<int>(random() % (depth > 3 ? 6 : 8));
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return random() % 2 == 0;
    case 2:
      return static_cast<int64_t>(random());
    case 3:
      return static_cast<double>(static_cast<int64_t>(random() % 2000001) - 1000000) / 64;
    case 4:
      return random();
    case 5: {
      std::string text;
      const int n = static_cast<int>(random() % 6);
      for (int i = 0; i < n; ++i) {
        static const char* kPieces[] = {"a", "\"", "\\", "\n", "\xC3\xA9", "\xF0\x9F\x98\x80", " "};
        text += kPieces[random() % 7];
      }
      return text;
    }
    case 6: {
      auto out = nlohmann::json::array();
      const int n = static_cast<int>(random() % 4);
      for (int i = 0; i < n; ++i) out.push_back(RandomValue(random, depth + 1));
      return out;
    }
    default: {
      auto out = nlohmann::json::object();
      const int n = static_cast<int>(random() % 4);
      for (int i = 0; i < n; ++i) {
        out["k" + std::to_string(random() % 5)] = RandomValue(random, depth + 1);
      }
      return out;
    }
  }
}

// The parser against nlohmann::json on random documents and on random corruptions of them.
TEST(JsonDocument, AgreesWithReferenceOnRandomDocuments) {
  std::mt19937_64 random(2026);
  arrow::util::InitializeUTF8();
  JsonDocument document;
  for (int round = 0; round < 3000; ++round) {
    const nlohmann::json value = RandomValue(random, 0);
    const std::string text = value.dump(random() % 2 == 0 ? -1 : 1, ' ', random() % 2 == 0);
    ASSERT_TRUE(document.Parse(text).ok()) << text;
    ASSERT_EQ(ToReference(document.root()), value) << text;

    std::string broken = text;
    static const char kBytes[] = "{}[]\",:0-.e\\ u1aE+tn";
    const size_t at = random() % (broken.size() + 1);
    switch (random() % 3) {
      case 0:
        broken.insert(at, 1, kBytes[random() % (sizeof(kBytes) - 1)]);
        break;
      case 1:
        if (at < broken.size()) broken.erase(at, 1);
        break;
      default:
        if (at < broken.size()) broken[at] = kBytes[random() % (sizeof(kBytes) - 1)];
    }
    const bool expected = nlohmann::json::accept(broken);
    Status status = document.Parse(broken);
    // Differences by design: UTF-8 is checked by the caller, and infinities are refused.
    if (!arrow::util::ValidateUTF8(broken)) continue;
    if (expected && status.message().find("out of range") != std::string::npos) continue;
    ASSERT_EQ(status.ok(), expected) << broken << " -> " << status.ToString();
    if (expected) {
      ASSERT_EQ(ToReference(document.root()), nlohmann::json::parse(broken)) << broken;
    }
  }
}

}  // namespace
}  // namespace fst::connectors::internal
