#include "featherstone/connectors/table_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/array/builder_binary.h>
#include <arrow/csv/writer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/buffered.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <parquet/arrow/writer.h>
#include <parquet/exception.h>
#include <parquet/properties.h>

#include "connector_internal.h"
#include "featherstone/core/column_sample.h"
#include "featherstone/core/file_system.h"
#include "featherstone/core/time.h"

namespace fst::connectors {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

template <typename T>
void AppendNumber(T value, std::string* out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) {
      out->append("null");
      return;
    }
  }
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, ptr);
}

// Microseconds since the epoch of element `i` of a timestamp or date array.
int64_t TimeMicros(const arrow::Array& array, int64_t i) {
  switch (array.type_id()) {
    case arrow::Type::DATE32:
      return static_cast<const arrow::Date32Array&>(array).Value(i) * core::kMicrosPerDay;
    case arrow::Type::DATE64:
      return static_cast<const arrow::Date64Array&>(array).Value(i) * 1000;
    default: {
      const int64_t v = static_cast<const arrow::TimestampArray&>(array).Value(i);
      switch (static_cast<const arrow::TimestampType&>(*array.type()).unit()) {
        case arrow::TimeUnit::SECOND:
          return v * core::kMicrosPerSecond;
        case arrow::TimeUnit::MILLI:
          return v * 1000;
        case arrow::TimeUnit::MICRO:
          return v;
        case arrow::TimeUnit::NANO:
          return v >= 0 ? v / 1000 : -((-v + 999) / 1000);
      }
      return v;
    }
  }
}

std::string TimeText(const arrow::Array& array, int64_t i) {
  std::string text = core::FormatTimestamp(TimeMicros(array, i));
  if (array.type_id() == arrow::Type::DATE32 || array.type_id() == arrow::Type::DATE64) {
    text.resize(text.find('T'));
  }
  return text;
}

Status AppendJson(const arrow::Array& array, int64_t i, std::string* out);

// Appends `length` elements of `values` from `offset` as a JSON array.
Status AppendJsonItems(const arrow::Array& values, int64_t offset, int64_t length,
                       std::string* out) {
  out->push_back('[');
  for (int64_t j = offset; j < offset + length; ++j) {
    if (j > offset) out->push_back(',');
    FST_RETURN_NOT_OK(AppendJson(values, j, out));
  }
  out->push_back(']');
  return Status::OK();
}

// Appends element `i` of `array` as JSON: timestamps and dates as ISO-8601 strings, floats in
// their shortest round-trip form (non-finite ones as null), lists as arrays, structs as
// objects. Errors: NotImplemented for types with no JSON form.
Status AppendJson(const arrow::Array& array, int64_t i, std::string* out) {
  if (array.IsNull(i)) {
    out->append("null");
    return Status::OK();
  }
  switch (array.type_id()) {
    case arrow::Type::BOOL:
      out->append(static_cast<const arrow::BooleanArray&>(array).Value(i) ? "true" : "false");
      return Status::OK();
#define FST_NUMBER_CASE(TYPE, ARRAY)                                     \
  case arrow::Type::TYPE:                                                \
    AppendNumber(static_cast<const arrow::ARRAY&>(array).Value(i), out); \
    return Status::OK();
      FST_NUMBER_CASE(INT8, Int8Array)
      FST_NUMBER_CASE(INT16, Int16Array)
      FST_NUMBER_CASE(INT32, Int32Array)
      FST_NUMBER_CASE(INT64, Int64Array)
      FST_NUMBER_CASE(UINT8, UInt8Array)
      FST_NUMBER_CASE(UINT16, UInt16Array)
      FST_NUMBER_CASE(UINT32, UInt32Array)
      FST_NUMBER_CASE(UINT64, UInt64Array)
      FST_NUMBER_CASE(FLOAT, FloatArray)
      FST_NUMBER_CASE(DOUBLE, DoubleArray)
#undef FST_NUMBER_CASE
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      AppendJsonString(static_cast<const arrow::BinaryArray&>(array).GetView(i), out);
      return Status::OK();
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      AppendJsonString(static_cast<const arrow::LargeBinaryArray&>(array).GetView(i), out);
      return Status::OK();
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
      AppendJsonString(TimeText(array, i), out);
      return Status::OK();
    case arrow::Type::DECIMAL128:
      out->append(static_cast<const arrow::Decimal128Array&>(array).FormatValue(i));
      return Status::OK();
    case arrow::Type::DICTIONARY: {
      const auto& dictionary = static_cast<const arrow::DictionaryArray&>(array);
      return AppendJson(*dictionary.dictionary(), dictionary.GetValueIndex(i), out);
    }
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      return AppendJsonItems(*list.values(), list.value_offset(i), list.value_length(i), out);
    }
    case arrow::Type::LARGE_LIST: {
      const auto& list = static_cast<const arrow::LargeListArray&>(array);
      return AppendJsonItems(*list.values(), list.value_offset(i), list.value_length(i), out);
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& list = static_cast<const arrow::FixedSizeListArray&>(array);
      return AppendJsonItems(*list.values(), list.value_offset(i), list.value_length(i), out);
    }
    case arrow::Type::STRUCT: {
      const auto& row = static_cast<const arrow::StructArray&>(array);
      out->push_back('{');
      for (int f = 0; f < row.num_fields(); ++f) {
        if (f > 0) out->push_back(',');
        AppendJsonString(row.struct_type()->field(f)->name(), out);
        out->push_back(':');
        FST_ASSIGN_OR_RAISE(auto field, row.GetFlattenedField(f));
        FST_RETURN_NOT_OK(AppendJson(*field, i, out));
      }
      out->push_back('}');
      return Status::OK();
    }
    case arrow::Type::NA:
      out->append("null");
      return Status::OK();
    default:
      return Status::NotImplemented("cannot write ", array.type()->ToString(), " as JSON");
  }
}

// The JSON object keys of `schema`'s columns, each with its colon.
std::vector<std::string> JsonKeys(const arrow::Schema& schema) {
  std::vector<std::string> keys;
  for (const auto& field : schema.fields()) {
    std::string key;
    AppendJsonString(field->name(), &key);
    keys.push_back(key + ":");
  }
  return keys;
}

Status WriteJsonl(const arrow::Table& table, const std::vector<std::string>& keys,
                  arrow::io::OutputStream* sink) {
  arrow::TableBatchReader reader(table);
  std::string out;
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    FST_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (batch == nullptr) break;
    const arrow::ArrayVector& columns = batch->columns();
    for (int64_t row = 0; row < batch->num_rows(); ++row) {
      out.push_back('{');
      for (size_t c = 0; c < columns.size(); ++c) {
        if (c > 0) out.push_back(',');
        out.append(keys[c]);
        Status status = AppendJson(*columns[c], row, &out);
        if (!status.ok()) {
          return status.WithMessage("column '", table.schema()->field(static_cast<int>(c))->name(),
                                    "': ", status.message());
        }
      }
      out.append("}\n");
      if (out.size() >= kFlushBytes) {
        FST_RETURN_NOT_OK(sink->Write(out));
        out.clear();
      }
    }
  }
  return sink->Write(out);
}

// `column` with timestamps and dates as ISO-8601 text and nested values as JSON text, which is
// how CSV shows them; other columns unchanged.
Result<std::shared_ptr<arrow::ChunkedArray>> CsvColumn(
    const std::shared_ptr<arrow::ChunkedArray>& column) {
  const arrow::Type::type id = column->type()->id();
  const bool as_time = id == arrow::Type::TIMESTAMP;
  const bool as_json = id == arrow::Type::LIST || id == arrow::Type::LARGE_LIST ||
                       id == arrow::Type::FIXED_SIZE_LIST || id == arrow::Type::STRUCT;
  if (!as_time && !as_json) return column;
  arrow::ArrayVector chunks;
  for (const auto& chunk : column->chunks()) {
    arrow::StringBuilder builder;
    std::string text;
    for (int64_t i = 0; i < chunk->length(); ++i) {
      if (chunk->IsNull(i)) {
        FST_RETURN_NOT_OK(builder.AppendNull());
        continue;
      }
      text.clear();
      if (as_time) {
        text = TimeText(*chunk, i);
      } else {
        FST_RETURN_NOT_OK(AppendJson(*chunk, i, &text));
      }
      FST_RETURN_NOT_OK(builder.Append(text));
    }
    std::shared_ptr<arrow::Array> out;
    FST_RETURN_NOT_OK(builder.Finish(&out));
    chunks.push_back(std::move(out));
  }
  return std::make_shared<arrow::ChunkedArray>(std::move(chunks), arrow::utf8());
}

// `table` with its columns as CsvColumn shows them.
Result<std::shared_ptr<arrow::Table>> CsvTable(const arrow::Table& table) {
  FST_RETURN_NOT_OK(internal::EnsureCompute());
  arrow::FieldVector fields;
  arrow::ChunkedArrayVector columns;
  for (int c = 0; c < table.num_columns(); ++c) {
    FST_ASSIGN_OR_RAISE(auto column, CsvColumn(table.column(c)));
    fields.push_back(table.schema()->field(c)->WithType(column->type()));
    columns.push_back(std::move(column));
  }
  return arrow::Table::Make(arrow::schema(fields), columns, table.num_rows());
}

// Properties for a file whose first chunk is `chunk`.
std::shared_ptr<parquet::WriterProperties> ParquetProperties(const arrow::Table& chunk) {
  parquet::WriterProperties::Builder builder;
  builder.compression(parquet::Compression::ZSTD);
  for (int i = 0; i < chunk.num_columns(); ++i) {
    // Computed floats rarely repeat, nor do ids and times: a dictionary would be built and
    // then abandoned.
    const auto& field = chunk.schema()->field(i);
    if (arrow::is_floating(field->type()->id()) || core::MostlyDistinct(*chunk.column(i))) {
      builder.disable_dictionary(field->name());
    }
  }
  return builder.build();
}
}  // namespace

struct TableFileWriter::Impl {
  enum class Format { kCsv, kParquet, kJsonl };

  arrow::fs::FileSystem* fs = nullptr;
  std::string path;
  std::string temp;
  Format format = Format::kCsv;
  std::shared_ptr<arrow::io::OutputStream> sink;
  std::shared_ptr<arrow::Schema> schema;  // of the first chunk; null before it
  std::shared_ptr<arrow::ipc::RecordBatchWriter> csv;
  std::unique_ptr<parquet::arrow::FileWriter> parquet;
  std::vector<std::string> json_keys;
  bool done = false;

  // The first chunk fixes the schema and starts the format's writer.
  Status Start(const arrow::Table& chunk) {
    schema = chunk.schema();
    switch (format) {
      case Format::kCsv: {
        FST_ASSIGN_OR_RAISE(auto empty, arrow::Table::MakeEmpty(schema));
        FST_ASSIGN_OR_RAISE(auto text, CsvTable(*empty));
        FST_ASSIGN_OR_RAISE(csv, arrow::csv::MakeCSVWriter(
                                     sink, text->schema(), arrow::csv::WriteOptions::Defaults()));
        return Status::OK();
      }
      case Format::kParquet: {
        // The columns of a row group are encoded in parallel on Arrow's CPU pool.
        auto arrow_properties =
            parquet::ArrowWriterProperties::Builder().store_schema()->set_use_threads(true)
                ->build();
        try {
          PARQUET_ASSIGN_OR_THROW(
              parquet, parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), sink,
                                                        ParquetProperties(chunk),
                                                        arrow_properties));
        } catch (const parquet::ParquetException& e) {
          return Status::IOError(e.what());
        }
        return Status::OK();
      }
      case Format::kJsonl:
        json_keys = JsonKeys(*schema);
        return Status::OK();
    }
    return Status::OK();
  }

  Status WriteChunk(const arrow::Table& chunk) {
    if (schema == nullptr) {
      FST_RETURN_NOT_OK(Start(chunk));
    } else if (!chunk.schema()->Equals(*schema, /*check_metadata=*/false)) {
      return Status::Invalid("a chunk's columns differ from the first chunk's: ",
                             chunk.schema()->ToString(), " vs ", schema->ToString());
    }
    switch (format) {
      case Format::kCsv: {
        FST_ASSIGN_OR_RAISE(auto text, CsvTable(chunk));
        return csv->WriteTable(*text);
      }
      case Format::kParquet:
        try {
          PARQUET_THROW_NOT_OK(parquet->WriteTable(chunk, parquet::DEFAULT_MAX_ROW_GROUP_LENGTH));
        } catch (const parquet::ParquetException& e) {
          return Status::IOError(e.what());
        }
        return Status::OK();
      case Format::kJsonl:
        return WriteJsonl(chunk, json_keys, sink.get());
    }
    return Status::OK();
  }

  Status Close() {
    if (csv != nullptr) FST_RETURN_NOT_OK(csv->Close());
    if (parquet != nullptr) {
      try {
        PARQUET_THROW_NOT_OK(parquet->Close());
      } catch (const parquet::ParquetException& e) {
        return Status::IOError(e.what());
      }
    }
    FST_RETURN_NOT_OK(sink->Close());
    Status moved = fs->Move(temp, path);
    if (!moved.ok()) {
      return Status::IOError("cannot rename ", temp, " to ", path, ": ", moved.message());
    }
    return Status::OK();
  }

  // Drops the temporary file; `status` gains the path when it lacks it.
  Status Abandon(Status status) {
    done = true;
    (void)sink->Abort();
    (void)fs->DeleteFile(temp);
    if (!status.ok() && status.message().find(path) == std::string::npos) {
      return status.WithMessage(path, ": ", status.message());
    }
    return status;
  }
};

Result<std::unique_ptr<TableFileWriter>> TableFileWriter::Open(arrow::fs::FileSystem& fs,
                                                               const std::string& path) {
  auto impl = std::make_unique<Impl>();
  const std::string extension = Lower(std::filesystem::path(path).extension().string());
  if (extension == ".csv") {
    impl->format = Impl::Format::kCsv;
  } else if (extension == ".parquet" || extension == ".pq") {
    impl->format = Impl::Format::kParquet;
  } else if (extension == ".jsonl" || extension == ".ndjson" || extension == ".json") {
    impl->format = Impl::Format::kJsonl;
  } else {
    return Status::Invalid(path, ": cannot tell the output format from the extension '", extension,
                           "'; expected .csv, .parquet, .pq, .jsonl, .ndjson or .json");
  }
  impl->fs = &fs;
  impl->path = path;
  impl->temp = path + ".tmp-" + std::to_string(::getpid());
  auto file = fs.OpenOutputStream(impl->temp);
  if (!file.ok()) {
    return Status::IOError(path, ": cannot write: ", file.status().message());
  }
  // One write per MiB, whatever the writers below do.
  auto sink = arrow::io::BufferedOutputStream::Create(static_cast<int64_t>(kFlushBytes),
                                                      arrow::default_memory_pool(), *file);
  if (!sink.ok()) {
    (void)(*file)->Abort();
    (void)fs.DeleteFile(impl->temp);
    return sink.status();
  }
  impl->sink = *sink;
  return std::unique_ptr<TableFileWriter>(new TableFileWriter(std::move(impl)));
}

TableFileWriter::TableFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TableFileWriter::~TableFileWriter() {
  if (!impl_->done) (void)impl_->Abandon(Status::OK());
}

Status TableFileWriter::Write(const arrow::Table& chunk) {
  if (impl_->done) return Status::Invalid(impl_->path, ": written after Finish or an error");
  Status status = impl_->WriteChunk(chunk);
  if (!status.ok()) return impl_->Abandon(std::move(status));
  return Status::OK();
}

Status TableFileWriter::Finish() {
  if (impl_->done) return Status::Invalid(impl_->path, ": finished twice or after an error");
  if (impl_->schema == nullptr) {
    return impl_->Abandon(Status::Invalid("no chunk was written, so the columns are unknown"));
  }
  Status status = impl_->Close();
  if (!status.ok()) return impl_->Abandon(std::move(status));
  impl_->done = true;
  return Status::OK();
}

Status WriteTableFile(const arrow::Table& table, const std::string& path) {
  return WriteTableFile(*core::LocalFs(), table, path);
}

Status WriteTableFile(arrow::fs::FileSystem& fs, const arrow::Table& table,
                      const std::string& path) {
  FST_ASSIGN_OR_RAISE(auto writer, TableFileWriter::Open(fs, path));
  FST_RETURN_NOT_OK(writer->Write(table));
  return writer->Finish();
}

}  // namespace fst::connectors
