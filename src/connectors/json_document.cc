#include "json_document.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace fst::connectors::internal {

// Recursive-descent parser writing JsonDocument's tape. Nodes are addressed by index because
// the tape grows while a container is open.
class JsonParser {
 public:
  JsonParser(std::string_view text, std::vector<JsonDocument::Node>* nodes, std::string* arena)
      : text_(text), nodes_(nodes), arena_(arena) {}

  Status Run() {
    SkipSpace();
    FST_RETURN_NOT_OK(ParseValue(0));
    SkipSpace();
    if (pos_ != text_.size()) return Fail("unexpected ", Found(), " after the value");
    return Status::OK();
  }

 private:
  static constexpr int kMaxDepth = 256;

  template <typename... Args>
  Status Fail(Args&&... args) const {
    return Status::Invalid("column ", pos_ + 1, ": ", std::forward<Args>(args)...);
  }
  std::string Found() const {
    if (pos_ >= text_.size()) return "end of line";
    const unsigned char c = text_[pos_];
    return c >= 0x20 && c < 0x7f ? std::string("'") + static_cast<char>(c) + "'"
                                 : "byte " + std::to_string(c);
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  uint32_t Open(JsonKind kind) {
    auto& node = nodes_->emplace_back();
    node.kind = kind;
    node.raw_begin = static_cast<uint32_t>(pos_);
    return static_cast<uint32_t>(nodes_->size() - 1);
  }
  void Close(uint32_t index) {
    auto& node = (*nodes_)[index];
    node.end = static_cast<uint32_t>(nodes_->size());
    node.raw_end = static_cast<uint32_t>(pos_);
  }

  Status ParseValue(int depth) {
    switch (Peek()) {
      case '{':
        return ParseContainer(depth, JsonKind::kObject, '}');
      case '[':
        return ParseContainer(depth, JsonKind::kArray, ']');
      case '"':
        return ParseString();
      case 't':
        return ParseLiteral("true", JsonKind::kBool, true);
      case 'f':
        return ParseLiteral("false", JsonKind::kBool, false);
      case 'n':
        return ParseLiteral("null", JsonKind::kNull, false);
      default:
        if (Peek() == '-' || IsDigit(Peek())) return ParseNumber();
        return Fail("expected a value, found ", Found());
    }
  }

  Status ParseContainer(int depth, JsonKind kind, char close) {
    if (depth >= kMaxDepth) return Fail("nested more than ", kMaxDepth, " levels deep");
    const uint32_t index = Open(kind);
    ++pos_;
    SkipSpace();
    if (Peek() == close) {
      ++pos_;
      Close(index);
      return Status::OK();
    }
    while (true) {
      if (kind == JsonKind::kObject) {
        if (Peek() != '"') return Fail("expected a member name in double quotes, found ", Found());
        FST_RETURN_NOT_OK(ParseString());
        SkipSpace();
        if (Peek() != ':') return Fail("expected ':' after a member name, found ", Found());
        ++pos_;
        SkipSpace();
      }
      FST_RETURN_NOT_OK(ParseValue(depth + 1));
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      if (Peek() == close) {
        ++pos_;
        Close(index);
        return Status::OK();
      }
      return Fail("expected ',' or '", close, "', found ", Found());
    }
  }

  Status ParseLiteral(std::string_view word, JsonKind kind, bool value) {
    if (text_.substr(pos_, word.size()) != word) return Fail("expected a value, found ", Found());
    const uint32_t index = Open(kind);
    (*nodes_)[index].b = value;
    pos_ += word.size();
    Close(index);
    return Status::OK();
  }

  Status ParseNumber() {
    const uint32_t index = Open(JsonKind::kInt64);
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (IsDigit(Peek())) {
      while (IsDigit(Peek())) ++pos_;
    } else {
      return Fail("expected a digit, found ", Found());
    }
    bool integer = true;
    if (Peek() == '.') {
      ++pos_;
      if (!IsDigit(Peek())) return Fail("expected a digit after '.', found ", Found());
      while (IsDigit(Peek())) ++pos_;
      integer = false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) return Fail("expected a digit in the exponent, found ", Found());
      while (IsDigit(Peek())) ++pos_;
      integer = false;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    auto& node = (*nodes_)[index];
    if (integer) {
      if (std::from_chars(first, last, node.i).ec == std::errc()) {
        Close(index);
        return Status::OK();
      }
      if (*first != '-' && std::from_chars(first, last, node.u).ec == std::errc()) {
        node.kind = JsonKind::kUint64;
        Close(index);
        return Status::OK();
      }
    }
    node.kind = JsonKind::kDouble;
    if (std::from_chars(first, last, node.d).ec != std::errc()) {
      // Out of range: underflow reads as zero, overflow is refused.
      node.d = std::strtod(std::string(first, last).c_str(), nullptr);
      if (std::isinf(node.d)) {
        pos_ = start;
        return Fail("number out of range");
      }
    }
    Close(index);
    return Status::OK();
  }

  bool ParseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t value = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text_[pos_ + k];
      value <<= 4;
      if (IsDigit(c)) {
        value |= c - '0';
      } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        value |= (c | 0x20) - 'a' + 10;
      } else {
        return false;
      }
    }
    pos_ += 4;
    *out = value;
    return true;
  }

  void AppendUtf8(uint32_t code) {
    if (code < 0x80) {
      arena_->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      arena_->push_back(static_cast<char>(0xC0 | (code >> 6)));
      arena_->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      arena_->push_back(static_cast<char>(0xE0 | (code >> 12)));
      arena_->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      arena_->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      arena_->push_back(static_cast<char>(0xF0 | (code >> 18)));
      arena_->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      arena_->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      arena_->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // At a backslash: one escape, appended to the arena. Errors point at the backslash.
  Status ParseEscape() {
    const size_t start = pos_;
    auto fail = [&](std::string_view what) {
      pos_ = start;
      return Fail(what);
    };
    const char c = ++pos_ < text_.size() ? text_[pos_] : '\0';
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        arena_->push_back(c);
        return Status::OK();
      case 'b':
        arena_->push_back('\b');
        return Status::OK();
      case 'f':
        arena_->push_back('\f');
        return Status::OK();
      case 'n':
        arena_->push_back('\n');
        return Status::OK();
      case 'r':
        arena_->push_back('\r');
        return Status::OK();
      case 't':
        arena_->push_back('\t');
        return Status::OK();
      case 'u':
        break;
      default:
        return fail("invalid escape in a string");
    }
    uint32_t code = 0;
    if (!ParseHex4(&code)) return fail("expected 4 hex digits after \\u");
    if (code >= 0xD800 && code <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      uint32_t low = 0;
      pos_ += 2;
      if (!ParseHex4(&low)) return fail("expected 4 hex digits after \\u");
      if (low < 0xDC00 || low > 0xDFFF) return fail("unpaired surrogate in a \\u escape");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xD800 && code <= 0xDFFF) {
      return fail("unpaired surrogate in a \\u escape");
    }
    AppendUtf8(code);
    return Status::OK();
  }

  Status ParseString() {
    const uint32_t index = Open(JsonKind::kString);
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const unsigned char c = text_[pos_];
      if (c == '"' || c == '\\') break;
      if (c < 0x20) return Fail("control character in a string; escape it");
      ++pos_;
    }
    if (pos_ >= text_.size()) return Fail("unterminated string");
    auto& node = (*nodes_)[index];
    if (text_[pos_] == '"') {
      node.str_begin = static_cast<uint32_t>(start);
      node.str_length = static_cast<uint32_t>(pos_ - start);
      ++pos_;
      Close(index);
      return Status::OK();
    }
    const size_t arena_begin = arena_->size();
    arena_->append(text_.substr(start, pos_ - start));
    while (true) {
      if (pos_ >= text_.size()) return Fail("unterminated string");
      const unsigned char c = text_[pos_];
      if (c == '"') break;
      if (c < 0x20) return Fail("control character in a string; escape it");
      if (c == '\\') {
        FST_RETURN_NOT_OK(ParseEscape());
      } else {
        arena_->push_back(static_cast<char>(c));
        ++pos_;
      }
    }
    auto& escaped = (*nodes_)[index];
    escaped.escaped = true;
    escaped.str_begin = static_cast<uint32_t>(arena_begin);
    escaped.str_length = static_cast<uint32_t>(arena_->size() - arena_begin);
    ++pos_;
    Close(index);
    return Status::OK();
  }

  std::string_view text_;
  std::vector<JsonDocument::Node>* nodes_;
  std::string* arena_;
  size_t pos_ = 0;
};

Status JsonDocument::Parse(std::string_view text) {
  if (text.size() >= UINT32_MAX) return Status::Invalid("column 1: document larger than 4 GiB");
  text_ = text;
  nodes_.clear();
  arena_.clear();
  Status status = JsonParser(text, &nodes_, &arena_).Run();
  if (!status.ok()) nodes_.clear();
  return status;
}

double JsonValue::number_value() const {
  const auto& node = document_->nodes_[index_];
  switch (node.kind) {
    case JsonKind::kInt64:
      return static_cast<double>(node.i);
    case JsonKind::kUint64:
      return static_cast<double>(node.u);
    default:
      return node.d;
  }
}

std::string_view JsonValue::raw() const {
  const auto& node = document_->nodes_[index_];
  return document_->text_.substr(node.raw_begin, node.raw_end - node.raw_begin);
}

std::string JsonValue::Text() const {
  if (kind() == JsonKind::kString) return std::string(string_value());
  const std::string_view text = raw();
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\') {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(c);
      in_string = c == '"';
    }
  }
  return out;
}

bool JsonValue::Find(std::string_view key, JsonValue* out) const {
  if (kind() != JsonKind::kObject) return false;
  const auto& nodes = document_->nodes_;
  for (uint32_t i = index_ + 1; i < nodes[index_].end; i = nodes[i + 1].end) {
    if (JsonValue(document_, i).string_value() == key) {
      *out = JsonValue(document_, i + 1);
      return true;
    }
  }
  return false;
}

bool JsonValue::Item(size_t n, JsonValue* out) const {
  if (kind() != JsonKind::kArray) return false;
  const auto& nodes = document_->nodes_;
  for (uint32_t i = index_ + 1; i < nodes[index_].end; i = nodes[i].end, --n) {
    if (n == 0) {
      *out = JsonValue(document_, i);
      return true;
    }
  }
  return false;
}

}  // namespace fst::connectors::internal
