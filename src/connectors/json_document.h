// A small JSON (RFC 8259) parser for one document at a time: a flat tape of values, reused
// across documents so steady-state parsing does not allocate. It exists because the simdjson
// that Debian ships cannot be linked into a process that also loads the pyarrow wheel's
// libparquet, which exports its own, different simdjson under the same symbol names.
// Internal to src/connectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "featherstone/core/status.h"

namespace fst::connectors::internal {

enum class JsonKind : uint8_t { kNull, kBool, kInt64, kUint64, kDouble, kString, kArray, kObject };

class JsonDocument;

// A value inside a JsonDocument; valid until the document parses another text.
class JsonValue {
 public:
  JsonValue() = default;

  JsonKind kind() const;
  bool is_null() const { return kind() == JsonKind::kNull; }
  bool is_number() const {
    return kind() == JsonKind::kInt64 || kind() == JsonKind::kUint64 || kind() == JsonKind::kDouble;
  }
  // Accessors for the matching kind.
  bool bool_value() const;
  int64_t int64_value() const;
  uint64_t uint64_value() const;
  // Any number, converted.
  double number_value() const;
  // A string's contents, escapes resolved.
  std::string_view string_value() const;
  // The value as written in the input.
  std::string_view raw() const;
  // A string's contents, or any other value as compact JSON text.
  std::string Text() const;

  // The first member of an object named `key`; false when there is none or this is not an
  // object.
  bool Find(std::string_view key, JsonValue* out) const;
  // Item `n` (0-based) of an array; false when there is none or this is not an array.
  bool Item(size_t n, JsonValue* out) const;
  // Calls visit(JsonValue) for each item of an array.
  template <typename Visit>
  void ForEachItem(Visit&& visit) const;
  // Calls visit(std::string_view key, JsonValue) for each member of an object, in order.
  template <typename Visit>
  void ForEachMember(Visit&& visit) const;

 private:
  friend class JsonDocument;
  JsonValue(const JsonDocument* document, uint32_t index) : document_(document), index_(index) {}

  const JsonDocument* document_ = nullptr;
  uint32_t index_ = 0;
};

class JsonDocument {
 public:
  // Parses `text`, which must outlive the values read from it. UTF-8 is not checked here.
  // Errors: Invalid "column C: WHAT" (C is the 1-based byte position).
  Status Parse(std::string_view text);
  // The top-level value of the last successful Parse.
  JsonValue root() const { return JsonValue(this, 0); }

 private:
  friend class JsonValue;
  friend class JsonParser;

  struct Node {
    JsonKind kind;
    bool escaped;        // string contents live in arena_
    uint32_t end;        // index just past this value and its contents
    uint32_t raw_begin;  // byte range of the value in text_
    uint32_t raw_end;
    uint32_t str_begin;  // string contents: byte range in text_ or arena_
    uint32_t str_length;
    union {
      bool b;
      int64_t i;
      uint64_t u;
      double d;
    };
  };

  std::string_view text_;
  std::vector<Node> nodes_;
  std::string arena_;
};

inline JsonKind JsonValue::kind() const { return document_->nodes_[index_].kind; }
inline bool JsonValue::bool_value() const { return document_->nodes_[index_].b; }
inline int64_t JsonValue::int64_value() const { return document_->nodes_[index_].i; }
inline uint64_t JsonValue::uint64_value() const { return document_->nodes_[index_].u; }

inline std::string_view JsonValue::string_value() const {
  const auto& node = document_->nodes_[index_];
  const std::string_view source =
      node.escaped ? std::string_view(document_->arena_) : document_->text_;
  return source.substr(node.str_begin, node.str_length);
}

template <typename Visit>
void JsonValue::ForEachItem(Visit&& visit) const {
  if (kind() != JsonKind::kArray) return;
  const auto& nodes = document_->nodes_;
  for (uint32_t i = index_ + 1; i < nodes[index_].end; i = nodes[i].end) {
    visit(JsonValue(document_, i));
  }
}

template <typename Visit>
void JsonValue::ForEachMember(Visit&& visit) const {
  if (kind() != JsonKind::kObject) return;
  const auto& nodes = document_->nodes_;
  for (uint32_t i = index_ + 1; i < nodes[index_].end; i = nodes[i + 1].end) {
    visit(JsonValue(document_, i).string_value(), JsonValue(document_, i + 1));
  }
}

}  // namespace fst::connectors::internal
