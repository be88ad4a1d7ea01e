#include "featherstone/connectors/json_messages.h"

#include <functional>
#include <string_view>
#include <unordered_map>

#include <arrow/array/concatenate.h>
#include <arrow/builder.h>
#include <arrow/util/utf8.h>

#include "coerce.h"
#include "connector_internal.h"
#include "json_document.h"
#include "json_path.h"
#include "json_values.h"

namespace fst::connectors {

// Hashes std::string and std::string_view alike, so a member name finds its column unconverted.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>()(name); }
};

struct JsonMessageDecoder::State {
  internal::JsonDocument document;
  std::vector<internal::JsonPath> paths;
  // Columns read from a top-level member, by its name: a message's members are matched in one
  // pass rather than each column searching the object (wide messages have hundreds of columns).
  std::unordered_map<std::string, std::vector<size_t>, NameHash, std::equal_to<>> by_name;
  std::vector<internal::JsonValue> members;  // per column: its top-level member (this message)
  std::vector<bool> has_member;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
  std::vector<arrow::ArrayVector> finished;  // per column: rows cut before a failed message
  Status init;
};

JsonMessageDecoder::JsonMessageDecoder(core::Schema schema)
    : schema_(std::move(schema)), state_(std::make_unique<State>()) {
  arrow::util::InitializeUTF8();
  for (const auto& spec : schema_) {
    state_->paths.push_back(internal::ParseJsonPath(internal::SourceName(spec)));
    if (state_->paths.back().size() == 1) {
      state_->by_name[state_->paths.back().front().key].push_back(state_->paths.size() - 1);
    }
    std::unique_ptr<arrow::ArrayBuilder> builder;
    Status made =
        arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(spec.type), &builder);
    if (!made.ok() && state_->init.ok()) state_->init = made;
    state_->builders.push_back(std::move(builder));
  }
  state_->finished.resize(schema_.size());
  state_->members.resize(schema_.size());
}

JsonMessageDecoder::~JsonMessageDecoder() = default;

Status JsonMessageDecoder::Add(std::string_view payload,
                               const std::function<std::string()>& where) {
  FST_RETURN_NOT_OK(state_->init);
  constexpr size_t kShown = 80;
  // Values of a failed message may sit in the first builders: cut them off, so the columns
  // stay aligned. Failures found before any value was appended need no cut.
  bool appended = false;
  auto fail = [&](auto&&... args) -> Status {
    if (appended) FST_RETURN_NOT_OK(Cut());
    return Status::Invalid(where(), ": ", std::forward<decltype(args)>(args)...);
  };
  if (!arrow::util::ValidateUTF8(payload)) return fail("invalid UTF-8");
  Status parsed = state_->document.Parse(payload);
  if (!parsed.ok()) {
    return fail(parsed.message(), ": ", payload.substr(0, kShown),
                payload.size() > kShown ? "..." : "");
  }
  const internal::JsonValue object = state_->document.root();
  if (object.kind() != internal::JsonKind::kObject) {
    return fail("expected a JSON object, found '", object.Text().substr(0, kShown), "'");
  }
  // The first member of each name, as JsonValue::Find would find it.
  state_->has_member.assign(schema_.size(), false);
  object.ForEachMember([&](std::string_view key, internal::JsonValue member) {
    const auto it = state_->by_name.find(key);
    if (it == state_->by_name.end()) return;
    for (size_t i : it->second) {
      if (state_->has_member[i]) continue;
      state_->has_member[i] = true;
      state_->members[i] = member;
    }
  });
  for (size_t i = 0; i < schema_.size(); ++i) {
    internal::JsonValue value = object;
    bool found = true;
    if (state_->paths[i].size() == 1) {
      found = state_->has_member[i];
      if (found) value = state_->members[i];
    } else {
      found = internal::LookupJsonPath(object, state_->paths[i], &value);
    }
    if (!found || value.is_null()) {
      if (!schema_[i].nullable) {
        return fail(internal::ColumnLabel(schema_[i]), ": null in a non-nullable column");
      }
      FST_RETURN_NOT_OK(state_->builders[i]->AppendNull());
      appended = true;
      continue;
    }
    Status status =
        internal::AppendJsonValue(value, schema_[i], "", 1, state_->builders[i].get());
    appended = true;
    if (!status.ok()) {
      // Messages are not rows of a file: drop the ": row 1, " the shared converter writes.
      std::string_view message = status.message();
      constexpr std::string_view kRow = ": row 1, ";
      if (message.starts_with(kRow)) message.remove_prefix(kRow.size());
      return fail(message);
    }
  }
  ++rows_;
  return Status::OK();
}

Status JsonMessageDecoder::Cut() {
  const int64_t keep = rows_ - finished_rows_;
  for (size_t c = 0; c < state_->builders.size(); ++c) {
    std::shared_ptr<arrow::Array> column;
    FST_RETURN_NOT_OK(state_->builders[c]->Finish(&column));
    if (keep > 0) state_->finished[c].push_back(column->Slice(0, keep));
  }
  finished_rows_ = rows_;
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> JsonMessageDecoder::Finish() {
  FST_RETURN_NOT_OK(state_->init);
  arrow::ArrayVector columns;
  for (size_t c = 0; c < state_->builders.size(); ++c) {
    std::shared_ptr<arrow::Array> column;
    FST_RETURN_NOT_OK(state_->builders[c]->Finish(&column));
    auto& chunks = state_->finished[c];
    if (!chunks.empty()) {
      chunks.push_back(std::move(column));
      FST_ASSIGN_OR_RAISE(column, arrow::Concatenate(chunks));
      chunks.clear();
    }
    columns.push_back(std::move(column));
  }
  const int64_t rows = rows_;
  rows_ = 0;
  finished_rows_ = 0;
  // Named by path (`address.city`) when one is declared, the way OpenReader finds columns.
  arrow::FieldVector fields;
  for (const auto& spec : schema_) {
    fields.push_back(arrow::field(internal::SourceName(spec), core::ToArrowType(spec.type)));
  }
  return arrow::RecordBatch::Make(arrow::schema(std::move(fields)), rows, std::move(columns));
}

}  // namespace fst::connectors
