// JSON Lines: one object per line, parsed line by line so a syntax error names its line. Declared
// columns are reached by their path (json_path.h); a missing key or element is null. Extra columns are the top-level keys
// of the first batch, typed by what they hold there (bool, int64, float64, else string with the
// JSON text); keys first seen later are dropped.
#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arrow/array/builder_binary.h>
#include <arrow/builder.h>
#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <arrow/util/utf8.h>

#include "coerce.h"
#include "connector_internal.h"
#include "json_document.h"
#include "json_path.h"
#include "json_values.h"

namespace fst::connectors::internal {
namespace {

constexpr int64_t kReadBytes = 4 << 20;
constexpr size_t kMaxShownLine = 80;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// The narrowest extra-column type that holds every value seen.
class TypeGuess {
 public:
  void Add(JsonValue value) {
    switch (value.kind()) {
      case JsonKind::kNull:
        return;
      case JsonKind::kBool:
        bools_ = true;
        break;
      case JsonKind::kInt64:
        ints_ = true;
        break;
      case JsonKind::kUint64:
      case JsonKind::kDouble:
        floats_ = true;
        break;
      default:
        other_ = true;
        break;
    }
  }
  core::ValueType type() const {
    if (other_ || (bools_ && (ints_ || floats_))) return core::ValueType::kString;
    if (bools_) return core::ValueType::kBool;
    if (floats_) return core::ValueType::kFloat64;
    if (ints_) return core::ValueType::kInt64;
    return core::ValueType::kString;
  }

 private:
  bool bools_ = false;
  bool ints_ = false;
  bool floats_ = false;
  bool other_ = false;
};

// An undeclared top-level key, gathered as JSON text and converted per batch.
struct Extra {
  core::ColumnSpec spec;
  TypeGuess guess;
  arrow::StringBuilder text;
};

class JsonlConnector : public Connector {
 public:
  JsonlConnector(std::string path, core::Schema schema, const ReadOptions& options)
      : path_(std::move(path)),
        schema_(std::move(schema)),
        batch_rows_(std::max<int64_t>(options.batch_rows, 1)),
        keep_extras_(options.keep_extra_columns) {}

  Status Open();
  Result<Batch> Next() override;

 private:
  // The next line without its line break; false at the end of the input.
  Result<bool> NextLine(std::string_view* line);
  Status ReadRow(std::string_view line);
  Status AddExtras(JsonValue object, int64_t row_in_batch);
  Result<std::shared_ptr<arrow::RecordBatch>> FinishBatch(int64_t rows);
  Status AtLine(const Status& status) const {
    if (line_ == rows_ + 1) return status;
    return status.WithMessage(status.message(), " (line ", line_, ")");
  }

  std::string path_;
  core::Schema schema_;
  int64_t batch_rows_;
  bool keep_extras_;
  std::shared_ptr<arrow::io::ReadableFile> file_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int64_t line_ = 0;
  int64_t rows_ = 0;
  int64_t batch_first_row_ = 0;
  JsonDocument document_;
  std::vector<JsonPath> paths_;
  std::vector<std::string> path_roots_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  std::vector<Extra> extras_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> extra_index_;
  bool extras_known_ = false;
  bool done_ = false;
  Status error_;
};

Status JsonlConnector::Open() {
  FST_ASSIGN_OR_RAISE(file_, arrow::io::ReadableFile::Open(path_));
  buffer_.resize(kReadBytes);
  arrow::util::InitializeUTF8();
  for (const auto& spec : schema_) {
    paths_.push_back(ParseJsonPath(SourceName(spec)));
    path_roots_.push_back(paths_.back().front().key);
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(
        arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(spec.type), &builder));
    builders_.push_back(std::move(builder));
  }
  extras_known_ = !keep_extras_;
  return Status::OK();
}

Result<bool> JsonlConnector::NextLine(std::string_view* line) {
  while (true) {
    const char* data = buffer_.data();
    const void* found = std::memchr(data + begin_, '\n', end_ - begin_);
    if (found != nullptr || (eof_ && begin_ < end_)) {
      const size_t stop = found != nullptr ? static_cast<const char*>(found) - data : end_;
      *line = std::string_view(data + begin_, stop - begin_);
      begin_ = found != nullptr ? stop + 1 : end_;
      ++line_;
      return true;
    }
    if (eof_) return false;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    FST_ASSIGN_OR_RAISE(const int64_t n, file_->Read(static_cast<int64_t>(buffer_.size() - end_),
                                                     buffer_.data() + end_));
    if (line_ == 0 && end_ == 0 && n >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) {
      begin_ = 3;
    }
    end_ += static_cast<size_t>(n);
    eof_ = n == 0;
  }
}

Status JsonlConnector::ReadRow(std::string_view line) {
  if (!arrow::util::ValidateUTF8(line)) {
    return Status::Invalid(path_, ": line ", line_, ": invalid UTF-8");
  }
  Status parsed = document_.Parse(line);
  if (!parsed.ok()) {
    return Status::Invalid(path_, ": line ", line_, ", ", parsed.message(), ": ",
                           line.substr(0, kMaxShownLine), line.size() > kMaxShownLine ? "..." : "");
  }
  const JsonValue object = document_.root();
  if (object.kind() != JsonKind::kObject) {
    return Status::Invalid(path_, ": line ", line_, ": expected a JSON object, found '",
                           object.Text().substr(0, kMaxShownLine), "'");
  }
  const int64_t row = rows_ + 1;
  for (size_t i = 0; i < schema_.size(); ++i) {
    JsonValue value;
    if (!LookupJsonPath(object, paths_[i], &value) || value.is_null()) {
      if (!schema_[i].nullable) return AtLine(NullError(path_, row, schema_[i]));
      FST_RETURN_NOT_OK(builders_[i]->AppendNull());
      continue;
    }
    Status status = AppendJsonValue(value, schema_[i], path_, row, builders_[i].get());
    if (!status.ok()) return AtLine(status);
  }
  if (keep_extras_) FST_RETURN_NOT_OK(AddExtras(object, rows_ - batch_first_row_));
  ++rows_;
  return Status::OK();
}

Status JsonlConnector::AddExtras(JsonValue object, int64_t row_in_batch) {
  Status status;
  object.ForEachMember([&](std::string_view key, JsonValue value) {
    if (!status.ok()) return;
    auto found = extra_index_.find(key);
    if (found == extra_index_.end()) {
      if (extras_known_ ||
          std::find(path_roots_.begin(), path_roots_.end(), key) != path_roots_.end()) {
        return;
      }
      found = extra_index_.emplace(std::string(key), extras_.size()).first;
      extras_.push_back(
          Extra{core::ColumnSpec{std::string(key), core::ValueType::kString, true, ""}, {}, {}});
      status = extras_.back().text.AppendNulls(row_in_batch);
      if (!status.ok()) return;
    }
    Extra& extra = extras_[found->second];
    if (extra.text.length() > row_in_batch) return;
    if (!extras_known_) extra.guess.Add(value);
    status = value.is_null() ? extra.text.AppendNull() : extra.text.Append(value.Text());
  });
  FST_RETURN_NOT_OK(status);
  for (auto& extra : extras_) {
    if (extra.text.length() <= row_in_batch) FST_RETURN_NOT_OK(extra.text.AppendNull());
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> JsonlConnector::FinishBatch(int64_t rows) {
  const int64_t first_row = rows_ - rows;
  if (!extras_known_) {
    for (auto& extra : extras_) extra.spec.type = extra.guess.type();
    extras_known_ = true;
  }
  arrow::FieldVector fields = DeclaredFields(schema_);
  arrow::ArrayVector columns;
  for (auto& builder : builders_) {
    std::shared_ptr<arrow::Array> column;
    FST_RETURN_NOT_OK(builder->Finish(&column));
    columns.push_back(std::move(column));
  }
  for (auto& extra : extras_) {
    std::shared_ptr<arrow::Array> text;
    FST_RETURN_NOT_OK(extra.text.Finish(&text));
    FST_ASSIGN_OR_RAISE(auto column, CoerceColumn(*text, extra.spec, path_, first_row));
    fields.push_back(arrow::field(extra.spec.name, column->type()));
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(arrow::schema(std::move(fields)), rows, std::move(columns));
}

Result<Batch> JsonlConnector::Next() {
  if (!error_.ok()) return error_;
  if (done_) return Batch{nullptr, rows_};
  const int64_t first_row = rows_;
  batch_first_row_ = first_row;
  std::string_view line;
  while (rows_ - first_row < batch_rows_) {
    auto more = NextLine(&line);
    if (!more.ok()) {
      error_ = more.status();
      return error_;
    }
    if (!*more) {
      done_ = true;
      break;
    }
    if (TrimBlanks(line).empty()) continue;
    Status status = ReadRow(line);
    if (!status.ok()) {
      error_ = status;
      return error_;
    }
  }
  if (rows_ == first_row) return Batch{nullptr, rows_};
  auto batch = FinishBatch(rows_ - first_row);
  if (!batch.ok()) {
    error_ = batch.status();
    return error_;
  }
  return Batch{*std::move(batch), first_row};
}

}  // namespace

Result<std::unique_ptr<Connector>> OpenJsonl(const std::string& path, const core::Schema& schema,
                                             const ReadOptions& options) {
  auto connector = std::make_unique<JsonlConnector>(path, schema, options);
  FST_RETURN_NOT_OK(connector->Open());
  return connector;
}

}  // namespace fst::connectors::internal
