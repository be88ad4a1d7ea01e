#include "csv_quote_check.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace fst::connectors::internal {
namespace {

const uint8_t* Bytes(const std::string& text) {
  return reinterpret_cast<const uint8_t*>(text.data());
}

// Feeds `text` in pieces of `piece` bytes; returns whether it passed, and the checker.
bool Check(const std::string& text, size_t piece, CsvQuoteChecker* checker) {
  for (size_t at = 0; at < text.size(); at += piece) {
    if (!checker->Consume(Bytes(text) + at, std::min(piece, text.size() - at))) return false;
  }
  return checker->Finish();
}

bool Valid(const std::string& text) {
  CsvQuoteChecker checker;
  return Check(text, text.size() + 1, &checker);
}

TEST(CsvQuoteChecker, AcceptsWellFormedQuoting) {
  EXPECT_TRUE(Valid("a,b\n1,2\n"));
  EXPECT_TRUE(Valid("a,b\n\"1,5\",\"say \"\"hi\"\"\"\n"));
  EXPECT_TRUE(Valid("a,b\n\"two\nlines\",x\r\n"));
  EXPECT_TRUE(Valid("a,b\n27\" screen,x\n"));
  EXPECT_TRUE(Valid("a,b\n\"\",\"\"\n"));
  EXPECT_TRUE(Valid("\xEF\xBB\xBF\"a\",b\n1,2"));
  EXPECT_TRUE(Valid("a\n\"x\""));
}

TEST(CsvQuoteChecker, FindsAnOpenQuoteAtTheEnd) {
  CsvQuoteChecker checker;
  const std::string text = "a,b\n1,\"x\n2,y\n";
  EXPECT_FALSE(Check(text, 4, &checker));
  EXPECT_TRUE(checker.in_quoted_field());
  EXPECT_EQ(checker.quote_offset(), 6);
  EXPECT_EQ(checker.error_offset(), -1);
}

TEST(CsvQuoteChecker, FindsTextAfterAClosingQuote) {
  CsvQuoteChecker checker;
  const std::string text = "a,b\n1,\"ab\"c\n";
  EXPECT_FALSE(Check(text, 1, &checker));
  EXPECT_EQ(checker.quote_offset(), 6);
  EXPECT_EQ(checker.error_offset(), 10);
}

TEST(CsvQuoteChecker, PiecesDoNotMatter) {
  std::mt19937 random(11);
  const std::string alphabet = "ab,\"\n\r ";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int n = static_cast<int>(random() % 24);
    for (int i = 0; i < n; ++i) text += alphabet[random() % alphabet.size()];
    CsvQuoteChecker whole;
    const bool expected = Check(text, text.size() + 1, &whole);
    for (size_t piece : {1, 2, 3, 7}) {
      CsvQuoteChecker pieces;
      ASSERT_EQ(Check(text, piece, &pieces), expected) << "'" << text << "' in " << piece;
      EXPECT_EQ(pieces.quote_offset(), whole.quote_offset());
      EXPECT_EQ(pieces.error_offset(), whole.error_offset());
    }
  }
}

// Byte-at-a-time statement of the rules CsvQuoteChecker implements with memchr.
struct NaiveVerdict {
  bool ok = true;
  int64_t quote_offset = -1;
  int64_t error_offset = -1;
};
NaiveVerdict NaiveCheck(const std::string& text) {
  enum { kFieldStart, kUnquoted, kQuoted, kAfterQuote } state = kFieldStart;
  NaiveVerdict verdict;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (state) {
      case kFieldStart:
        if (c == '"') {
          state = kQuoted;
          verdict.quote_offset = static_cast<int64_t>(i);
        } else if (c != ',' && c != '\n' && c != '\r') {
          state = kUnquoted;
        }
        break;
      case kUnquoted:
        if (c == ',' || c == '\n' || c == '\r') state = kFieldStart;
        break;
      case kQuoted:
        if (c == '"') state = kAfterQuote;
        break;
      case kAfterQuote:
        if (c == '"') {
          state = kQuoted;
        } else if (c == ',' || c == '\n' || c == '\r') {
          state = kFieldStart;
        } else {
          verdict.ok = false;
          verdict.error_offset = static_cast<int64_t>(i);
          return verdict;
        }
        break;
    }
  }
  verdict.ok = state != kQuoted;
  return verdict;
}

TEST(CsvQuoteChecker, MatchesNaiveReference) {
  std::mt19937 random(5);
  const std::string alphabet = "ab,\"\n\r ";
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int n = static_cast<int>(random() % 30);
    for (int i = 0; i < n; ++i) text += alphabet[random() % alphabet.size()];
    const NaiveVerdict expected = NaiveCheck(text);
    CsvQuoteChecker checker;
    ASSERT_EQ(Check(text, 1 + random() % 8, &checker), expected.ok) << "'" << text << "'";
    EXPECT_EQ(checker.quote_offset(), expected.quote_offset) << "'" << text << "'";
    EXPECT_EQ(checker.error_offset(), expected.error_offset) << "'" << text << "'";
  }
}

TEST(CsvRowCounter, CountsRowsLikeArrow) {
  const std::string text = "h1,h2\r\n\r\n1,\"a\nb\"\n\n2,x\n";
  CsvRowCounter counter;
  counter.Consume(Bytes(text), static_cast<int64_t>(text.find("2,x")));
  EXPECT_EQ(counter.row(), 3);  // header, the row with the quoted line break, then this one
  EXPECT_EQ(counter.line(), 6);
}

TEST(CsvRowCounter, StopsInsideARow) {
  const std::string text = "h\n1,\"x";
  CsvRowCounter counter;
  counter.Consume(Bytes(text), 4);
  EXPECT_EQ(counter.row(), 2);
  EXPECT_EQ(counter.line(), 2);
}

}  // namespace
}  // namespace fst::connectors::internal
