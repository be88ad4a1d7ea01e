#include "log_publisher_rows.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include <arrow/builder.h>
#include <arrow/util/utf8.h>

#include "featherstone/core/json_cursor.h"
#include "featherstone/core/time.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::feedback::internal {
namespace {

using json = nlohmann::json;
using core::ValueType;

// The integer `text` (-?[0-9]+) when it fits int64. Up to 18 digits (every int64 the log
// writes but the largest) without from_chars' per-digit overflow checks.
bool ParseInt64(std::string_view text, int64_t* out) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = text.substr(negative ? 1 : 0);
  if (digits.empty() || digits.size() > 18) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
    return ec == std::errc() && ptr == end;
  }
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = negative ? -value : value;
  return true;
}

// Reads the members of a log line in the order the writer writes them. Accepts only JSON that
// nlohmann's parser accepts with the same meaning, so a line it takes is one ParseLoggedRequest
// reads alike.
class Scanner : public core::JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  // `"name":`, after a ',' unless it is the object's first member.
  bool Member(std::string_view name, bool first = false) {
    std::string_view key;
    return (first || Take(',')) && String(&key) && key == name && Take(':');
  }
  // A string without escapes or control characters (its bytes are checked as UTF-8 with the
  // whole line).
  bool String(std::string_view* out) { return PlainString(out); }
  // A JSON integer that fits int64.
  bool Integer(int64_t* out) {
    LogToken token;
    if (!Token(&token) || token.kind != LogToken::kInteger) return false;
    return ParseInt64(token.text, out);
  }
  // null, true, false, a number (JSON's grammar) or a String.
  bool Token(LogToken* out) {
    SkipSpace();
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        out->kind = LogToken::kString;
        return String(&out->text);
      case 'n':
        out->kind = LogToken::kNull;
        return Word("null");
      case 't':
        out->kind = LogToken::kTrue;
        return Word("true");
      case 'f':
        out->kind = LogToken::kFalse;
        return Word("false");
      default:
        break;
    }
    const char* start = p_;
    if (*p_ == '-') ++p_;
    const char* digits = p_;
    SkipDigits();
    if (p_ == digits || (*digits == '0' && p_ - digits > 1)) return false;
    out->kind = LogToken::kInteger;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!SkipDigits()) return false;
      out->kind = LogToken::kNumber;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!SkipDigits()) return false;
      out->kind = LogToken::kNumber;
    }
    out->text = std::string_view(start, static_cast<size_t>(p_ - start));
    return true;
  }
  // {"key": value, ...}, each member read by member(key); false as soon as one is not.
  template <typename Member>
  bool Object(Member&& member) {
    if (!Take('{')) return false;
    if (Take('}')) return true;
    do {
      std::string_view key;
      if (!String(&key) || !Take(':') || !member(key)) return false;
    } while (Take(','));
    return Take('}');
  }
};

// Whether the keys of `members` from `begin` on are distinct.
template <typename Pair>
bool Distinct(const std::vector<Pair>& members, size_t begin) {
  for (size_t i = begin; i < members.size(); ++i) {
    for (size_t j = begin; j < i; ++j) {
      if (members[i].first == members[j].first) return false;
    }
  }
  return true;
}

// Times the text form (core::FormatTimestamp, then ParseTimestamp) gives back exactly.
constexpr int64_t kMaxMicros = 253402300799999999;  // 9999-12-31T23:59:59.999999Z
bool PlainTime(int64_t micros) { return micros >= 0 && micros <= kMaxMicros; }

}  // namespace

bool ScanLogLine(std::string_view line, ScannedLogLine* out) {
  static const bool utf8_ready = (arrow::util::InitializeUTF8(), true);
  (void)utf8_ready;
  if (!arrow::util::ValidateUTF8(line)) return false;
  Scanner s(line);
  std::string_view ignored;
  out->hashes.clear();
  out->features.clear();
  out->feature_names.clear();
  out->entity_members.clear();
  out->entity_begin.clear();
  out->values.clear();
  out->statuses.clear();
  out->event_ts.clear();
  if (!s.Take('{') || !s.Member("request_id", true) || !s.String(&out->request_id) ||
      !s.Member("served_at_us") || !s.Integer(&out->served_at_us) || !s.Member("served_at") ||
      !s.String(&ignored) || !s.Member("at_us") || !s.Integer(&out->at_us) ||
      !s.Member("service") || !s.String(&out->service) || !s.Member("spec_hashes")) {
    return false;
  }
  const char* hashes_begin = s.Position();
  if (!s.Object([&](std::string_view key) {
        std::string_view value;
        if (!s.String(&value)) return false;
        out->hashes.emplace_back(key, value);
        return true;
      }) ||
      !Distinct(out->hashes, 0)) {
    return false;
  }
  out->spec_hashes = std::string_view(hashes_begin, static_cast<size_t>(s.Position() - hashes_begin));
  if (!s.Member("features") ||
      !s.Array([&] { return s.String(&out->features.emplace_back()); }) ||
      !s.Member("feature_names") ||
      !s.Array([&] { return s.String(&out->feature_names.emplace_back()); }) ||
      out->feature_names.size() != out->features.size() || !s.Member("entities")) {
    return false;
  }
  if (!s.Array([&] {
        out->entity_begin.push_back(out->entity_members.size());
        return s.Object([&](std::string_view key) {
                 LogToken token;
                 if (!s.Token(&token)) return false;
                 out->entity_members.emplace_back(key, token);
                 return true;
               }) &&
               Distinct(out->entity_members, out->entity_begin.back());
      })) {
    return false;
  }
  out->entity_begin.push_back(out->entity_members.size());
  const size_t entities = out->entities();
  const size_t features = out->features.size();
  // Matrices of `entities` rows of `features` items, each read by item().
  auto matrix = [&](const char* name, auto&& item) {
    size_t rows = 0;
    return s.Member(name) && s.Array([&] {
             size_t items = 0;
             ++rows;
             return s.Array([&] { return ++items <= features && item(); }) && items == features;
           }) && rows == entities;
  };
  return matrix("values", [&] { return s.Token(&out->values.emplace_back()); }) &&
         matrix("statuses", [&] { return s.String(&out->statuses.emplace_back()); }) &&
         matrix("event_timestamps_us",
                [&] { return s.Integer(&out->event_ts.emplace_back()); }) &&
         s.Take('}') && s.AtEnd();
}

bool SameFeatures(const ScannedLogLine& line, const definitions::FeatureService& service) {
  if (line.features.size() != service.features.size()) return false;
  for (size_t f = 0; f < line.features.size(); ++f) {
    const std::string_view text = line.features[f];
    const auto& ref = service.features[f];
    if (text.size() != ref.view.size() + 1 + ref.feature.size() || !text.starts_with(ref.view) ||
        text[ref.view.size()] != ':' || !text.ends_with(ref.feature)) {
      return false;
    }
  }
  return true;
}

namespace {

// A value scanned and converted to its column's type, before it is appended.
struct Cell {
  enum Kind : uint8_t { kNull, kBool, kInt, kDouble, kString } kind = kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;
};

// `token` as a value of `type` the way the JSON message decoder converts the same value
// re-rendered by nlohmann (AddParsed), for the cases where that is plain; false otherwise.
bool Convert(const LogToken& token, ValueType type, Cell* out) {
  out->kind = Cell::kNull;
  if (token.kind == LogToken::kNull) return true;
  switch (type) {
    case ValueType::kBool:
      if (token.kind != LogToken::kTrue && token.kind != LogToken::kFalse) return false;
      out->kind = Cell::kBool;
      out->b = token.kind == LogToken::kTrue;
      return true;
    case ValueType::kInt32:
    case ValueType::kInt64:
      if (token.kind != LogToken::kInteger || !ParseInt64(token.text, &out->i)) return false;
      if (type == ValueType::kInt32 && (out->i < std::numeric_limits<int32_t>::min() ||
                                        out->i > std::numeric_limits<int32_t>::max())) {
        return false;
      }
      out->kind = Cell::kInt;
      return true;
    case ValueType::kFloat64:
      if (token.kind == LogToken::kInteger) {
        if (!ParseInt64(token.text, &out->i)) return false;
        out->d = static_cast<double>(out->i);
      } else if (token.kind == LogToken::kNumber) {
        const char* end = token.text.data() + token.text.size();
        const auto [ptr, ec] = std::from_chars(token.text.data(), end, out->d);
        if (ec != std::errc() || ptr != end || !std::isfinite(out->d)) return false;
      } else {
        return false;
      }
      out->kind = Cell::kDouble;
      return true;
    case ValueType::kString:
      if (token.kind != LogToken::kString) return false;
      out->kind = Cell::kString;
      out->s = token.text;
      return true;
    default:
      return false;
  }
}

// Appends `cell` to `builder` (of its column's type; `int32`: an int32 builder).
Status AppendCell(const Cell& cell, arrow::ArrayBuilder* builder, bool int32) {
  switch (cell.kind) {
    case Cell::kNull:
      return builder->AppendNull();
    case Cell::kBool:
      return static_cast<arrow::BooleanBuilder*>(builder)->Append(cell.b);
    case Cell::kInt:
      if (int32) {
        return static_cast<arrow::Int32Builder*>(builder)->Append(static_cast<int32_t>(cell.i));
      }
      return static_cast<arrow::Int64Builder*>(builder)->Append(cell.i);
    case Cell::kDouble:
      return static_cast<arrow::DoubleBuilder*>(builder)->Append(cell.d);
    case Cell::kString:
      return static_cast<arrow::StringBuilder*>(builder)->Append(cell.s);
  }
  return Status::OK();
}

std::string JsonKey(const std::string& name) {
  std::string text;
  retrieval::AppendJsonString(name, &text);
  return text + ':';
}

}  // namespace

struct LogRows::Columns {
  // Rows per batch: builders sized once for them rather than grown (each growth a copy into
  // fresh pages the kernel zeroes).
  static constexpr int64_t kBatchRows = 16384;

  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;  // per column of the layout
  std::vector<bool> int32;  // per column: an int32 builder (else int64 for an integer cell)
  // Per column of text: bytes per row of the last batch (an estimate for the next one).
  std::vector<double> text_bytes_per_row;
  int64_t rows = 0;
  std::vector<Cell> cells;  // a line's keys and values, per entity

  // Sizes the builders of a new batch.
  Status Reserve() {
    for (size_t c = 0; c < builders.size(); ++c) {
      FST_RETURN_NOT_OK(builders[c]->Reserve(kBatchRows));
      if (text_bytes_per_row[c] > 0) {
        FST_RETURN_NOT_OK(static_cast<arrow::BaseBinaryBuilder<arrow::BinaryType>*>(
                              builders[c].get())
                              ->ReserveData(static_cast<int64_t>(text_bytes_per_row[c] * 1.1 *
                                                                 kBatchRows)));
      }
    }
    return Status::OK();
  }
};

Result<std::unique_ptr<LogRows>> LogRows::Make(const definitions::Repo& applied,
                                               const definitions::FeatureService& service) {
  std::unique_ptr<LogRows> rows(new LogRows());
  FST_ASSIGN_OR_RAISE(rows->layout_, features::LogLayoutOf(applied, service));
  rows->service_hash_key_ = "feature_service/" + service.name;
  for (const auto& ref : rows->layout_.features) {
    rows->value_names_.push_back(features::LogValueColumn(ref));
    rows->value_keys_.push_back(JsonKey(rows->value_names_.back()));
    rows->status_keys_.push_back(JsonKey(features::LogStatusColumn(ref)));
    rows->event_ts_keys_.push_back(JsonKey(features::LogEventTsColumn(ref)));
  }
  rows->decoder_ = std::make_unique<connectors::JsonMessageDecoder>(rows->layout_.schema);
  rows->columns_ = std::make_unique<Columns>();
  for (const auto& spec : rows->layout_.schema) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(),
                                         core::ToArrowType(spec.type), &builder));
    rows->columns_->builders.push_back(std::move(builder));
    rows->columns_->int32.push_back(spec.type == ValueType::kInt32);
  }
  rows->columns_->text_bytes_per_row.assign(rows->layout_.schema.size(), 0);
  return rows;
}

LogRows::~LogRows() = default;

Result<bool> LogRows::AddScanned(const ScannedLogLine& line) {
  if (!PlainTime(line.served_at_us) || !PlainTime(line.at_us)) return false;
  for (int64_t ts : line.event_ts) {
    if (ts != 0 && !PlainTime(ts)) return false;
  }
  const size_t entities = line.entities();
  const size_t keys = layout_.keys.size();
  const size_t features = layout_.features.size();
  const size_t per_entity = keys + features;
  auto& cells = columns_->cells;
  cells.resize(entities * per_entity);
  for (size_t e = 0; e < entities; ++e) {
    Cell* row = cells.data() + e * per_entity;
    for (size_t k = 0; k < keys; ++k) {
      row[k].kind = Cell::kNull;
      for (size_t m = line.entity_begin[e]; m < line.entity_begin[e + 1]; ++m) {
        const auto& [name, token] = line.entity_members[m];
        if (name == layout_.keys[k].name) {
          if (!Convert(token, layout_.keys[k].type, &row[k])) return false;
          break;
        }
      }
    }
    for (size_t f = 0; f < features; ++f) {
      if (!Convert(line.values[e * features + f], layout_.feature_types[f], &row[keys + f])) {
        return false;
      }
    }
  }
  if (line.spec_hashes != last_hashes_) {
    // As nlohmann writes the map ParseLoggedRequest reads (keys in order; the scanner took
    // strings that need no escapes).
    auto hashes = line.hashes;
    std::sort(hashes.begin(), hashes.end());
    last_hashes_json_ = "{";
    last_has_service_hash_ = false;
    for (const auto& [key, value] : hashes) {
      if (last_hashes_json_.size() > 1) last_hashes_json_ += ',';
      ((((last_hashes_json_ += '"') += key) += "\":\"") += value) += '"';
      if (key == service_hash_key_) {
        last_has_service_hash_ = true;
        last_service_hash_ = value;
      }
    }
    last_hashes_json_ += '}';
    last_hashes_ = line.spec_hashes;
  }
  bool full_names = false;
  for (size_t f = 0; f < features; ++f) {
    full_names = full_names || line.feature_names[f] == value_names_[f];
  }

  FST_RETURN_NOT_OK(Cut(/*scanned_next=*/true));
  if (columns_->rows > 0 &&
      columns_->rows + static_cast<int64_t>(entities) > Columns::kBatchRows) {
    FST_RETURN_NOT_OK(Cut(/*scanned_next=*/false));
  }
  if (columns_->rows == 0) FST_RETURN_NOT_OK(columns_->Reserve());
  auto& b = columns_->builders;
  const auto& int32 = columns_->int32;
  auto* id = static_cast<arrow::StringBuilder*>(b[0].get());
  auto* served = static_cast<arrow::TimestampBuilder*>(b[1].get());
  auto* at = static_cast<arrow::TimestampBuilder*>(b[2].get());
  const size_t fields = 3 + keys;
  const size_t values = fields + layout_.request_fields.size();
  const size_t trailer = values + 3 * features;
  for (size_t e = 0; e < entities; ++e) {
    const Cell* row = cells.data() + e * per_entity;
    FST_RETURN_NOT_OK(id->Append(line.request_id));
    FST_RETURN_NOT_OK(served->Append(line.served_at_us));
    FST_RETURN_NOT_OK(at->Append(line.at_us));
    for (size_t k = 0; k < keys; ++k) {
      FST_RETURN_NOT_OK(AppendCell(row[k], b[3 + k].get(), int32[3 + k]));
    }
    for (size_t c = fields; c < values; ++c) FST_RETURN_NOT_OK(b[c]->AppendNull());
    for (size_t f = 0; f < features; ++f) {
      const size_t c = values + 3 * f;
      FST_RETURN_NOT_OK(AppendCell(row[keys + f], b[c].get(), int32[c]));
      FST_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(b[c + 1].get())
                            ->Append(line.statuses[e * features + f]));
      const int64_t ts = line.event_ts[e * features + f];
      auto* event_ts = static_cast<arrow::TimestampBuilder*>(b[c + 2].get());
      FST_RETURN_NOT_OK(ts == 0 ? event_ts->AppendNull() : event_ts->Append(ts));
    }
    auto* spec_hash = static_cast<arrow::StringBuilder*>(b[trailer].get());
    FST_RETURN_NOT_OK(last_has_service_hash_ ? spec_hash->Append(last_service_hash_)
                                             : spec_hash->AppendNull());
    FST_RETURN_NOT_OK(
        static_cast<arrow::StringBuilder*>(b[trailer + 1].get())->Append(last_hashes_json_));
    FST_RETURN_NOT_OK(static_cast<arrow::BooleanBuilder*>(b[trailer + 2].get())->Append(full_names));
  }
  columns_->rows += static_cast<int64_t>(entities);
  return true;
}

// The row of entity `e` of `request` as the text of a JSON object of the layout's columns,
// written directly: a part holds tens of thousands of responses of hundreds of values.
std::string LogRows::RowText(const LoggedRequest& request, size_t e,
                             bool with_request_fields) const {
  std::string out = "{";
  auto key = [&out](std::string_view name) {
    if (out.size() > 1) out += ',';
    retrieval::AppendJsonString(name, &out);
    out += ':';
  };
  auto key_text = [&out](const std::string& text) {
    if (out.size() > 1) out += ',';
    out += text;
  };
  auto value = [&out](const json& v) {
    if (v.is_number_integer()) {
      out += v.is_number_unsigned() ? std::to_string(v.get<uint64_t>())
                                    : std::to_string(v.get<int64_t>());
    } else if (v.is_string()) {
      retrieval::AppendJsonString(v.get_ref<const std::string&>(), &out);
    } else {
      out += v.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  };
  auto time = [&out](int64_t micros) {
    out += '"';
    out += core::FormatTimestamp(micros);
    out += '"';
  };
  key(features::kLogRequestId);
  retrieval::AppendJsonString(request.request_id, &out);
  key(features::kLogServedAt);
  time(request.served_at_us);
  key(features::kLogAt);
  time(request.at_us);
  for (const auto& k : layout_.keys) {
    auto it = request.entities[e].find(k.name);
    if (it == request.entities[e].end()) continue;
    key(k.name);
    value(*it);
  }
  if (with_request_fields) {
    for (const auto& field : layout_.request_fields) {
      auto it = request.request_data[e].find(field.name);
      if (it == request.request_data[e].end()) continue;
      key(field.name);
      value(*it);
    }
  }
  bool full_names = false;
  for (size_t f = 0; f < layout_.features.size(); ++f) {
    key_text(value_keys_[f]);
    value(request.values[e][f]);
    key_text(status_keys_[f]);
    retrieval::AppendJsonString(request.statuses[e][f], &out);
    if (request.event_ts[e][f] != 0) {
      key_text(event_ts_keys_[f]);
      time(request.event_ts[e][f]);
    }
    full_names = full_names || request.feature_names[f] == value_names_[f];
  }
  auto service_hash = request.spec_hashes.find(service_hash_key_);
  if (service_hash != request.spec_hashes.end()) {
    key(features::kLogSpecHash);
    retrieval::AppendJsonString(service_hash->second, &out);
  }
  key(features::kLogSpecHashes);
  retrieval::AppendJsonString(json(request.spec_hashes).dump(), &out);
  key(features::kLogFullNames);
  out += full_names ? "true" : "false";
  out += '}';
  return out;
}

Status LogRows::AddParsed(const LoggedRequest& request) {
  FST_RETURN_NOT_OK(Cut(/*scanned_next=*/false));
  for (size_t e = 0; e < request.entities.size(); ++e) {
    auto where = [&] { return request.where; };
    Status status = decoder_->Add(RowText(request, e, true), where);
    // Request data is logged as the text the client sent; text that is not a value of the
    // field's type (the lookup refused nothing with it) is logged as null.
    if (!status.ok() && !layout_.request_fields.empty()) {
      status = decoder_->Add(RowText(request, e, false), where);
    }
    FST_RETURN_NOT_OK(status);
  }
  return Status::OK();
}

Status LogRows::Cut(bool scanned_next) {
  if (scanned_next && decoder_->rows() > 0) {
    FST_ASSIGN_OR_RAISE(auto batch, decoder_->Finish());
    batches_.push_back(std::move(batch));
  }
  if (!scanned_next && columns_->rows > 0) {
    arrow::FieldVector fields;
    arrow::ArrayVector arrays;
    for (size_t c = 0; c < layout_.schema.size(); ++c) {
      fields.push_back(arrow::field(layout_.schema[c].name, core::ToArrowType(layout_.schema[c].type)));
      auto& builder = columns_->builders[c];
      if (builder->type()->id() == arrow::Type::STRING) {
        columns_->text_bytes_per_row[c] =
            static_cast<double>(
                static_cast<arrow::StringBuilder*>(builder.get())->value_data_length()) /
            static_cast<double>(columns_->rows);
      }
      std::shared_ptr<arrow::Array> array;
      FST_RETURN_NOT_OK(builder->Finish(&array));
      arrays.push_back(std::move(array));
    }
    batches_.push_back(
        arrow::RecordBatch::Make(arrow::schema(std::move(fields)), columns_->rows, std::move(arrays)));
    columns_->rows = 0;
  }
  return Status::OK();
}

Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> LogRows::Finish() {
  FST_RETURN_NOT_OK(Cut(/*scanned_next=*/true));
  FST_RETURN_NOT_OK(Cut(/*scanned_next=*/false));
  if (batches_.empty()) {
    FST_ASSIGN_OR_RAISE(auto batch, decoder_->Finish());
    batches_.push_back(std::move(batch));
  }
  return std::move(batches_);
}

}  // namespace fst::feedback::internal
