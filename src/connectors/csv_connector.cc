// CSV through arrow::csv::StreamingReader. In parallel (Arrow's CPU pool), declared int64,
// float64 and timestamp columns are parsed by our parsers as Arrow reads them (direct_parse.h)
// and the other declared columns read as text and coerced here (one conversion path for every
// format); extra columns keep Arrow's inferred types. Arrow's parallel reader does not number
// rows, so at an error, or text the direct parsers leave to coercion (blank, invalid), the rest
// of the file is read again by the serial reader with every declared column as text, which
// gives the result and the message, with its row, that reading serially from the start gives.
#include <algorithm>
#include <mutex>
#include <regex>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/csv/api.h>
#include <arrow/csv/parser.h>
#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <arrow/util/parallel.h>

#include "coerce.h"
#include "connector_internal.h"
#include "csv_quote_check.h"
#include "direct_parse.h"

namespace fst::connectors::internal {
namespace {

constexpr int64_t kHeaderProbeBytes = 64 << 10;
constexpr int64_t kRescanChunkBytes = 1 << 20;
constexpr int64_t kMinBlockBytes = 64 << 10;
constexpr int64_t kMaxBlockBytes = 16 << 20;
constexpr int64_t kBlockBytesPerRow = 32;
constexpr size_t kMaxShownRow = 80;

// The first line of `text`, cut to kMaxShownRow bytes.
std::string Shorten(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  if (text.size() <= kMaxShownRow) return std::string(text);
  return std::string(text.substr(0, kMaxShownRow)) + "...";
}

// "row N" for data rows, "header" for row 1 of the file (`row` counts the header).
std::string RowLabel(int64_t row) {
  return row <= 1 ? std::string("header") : "row " + std::to_string(row - 1);
}

// Feeds bytes [from, to) of `file` to `counter`.
Status FeedRange(arrow::io::RandomAccessFile& file, int64_t from, int64_t to,
                 CsvRowCounter* counter) {
  for (int64_t at = from; at < to; at += kRescanChunkBytes) {
    FST_ASSIGN_OR_RAISE(auto chunk, file.ReadAt(at, std::min(kRescanChunkBytes, to - at)));
    if (chunk->size() == 0) break;
    counter->Consume(chunk->data(), chunk->size());
  }
  return Status::OK();
}

// Which row holds the quote `checker` found wrong, and why, read back from the file.
// `problem` says what is wrong when the checker did not fail itself (the field is open).
Status DescribeQuoteProblem(const std::string& path, const CsvQuoteChecker& checker,
                            std::string_view problem) {
  auto file = arrow::io::ReadableFile::Open(path);
  CsvRowCounter counter;
  if (!file.ok() || !FeedRange(**file, 0, checker.quote_offset(), &counter).ok()) {
    return Status::Invalid(path, ": unbalanced quote: ", problem);
  }
  const std::string where = path + ": " + RowLabel(counter.row()) + ": unbalanced quote: ";
  if (checker.error_offset() < 0) return Status::Invalid(where, problem);
  const int64_t quote_line = counter.line();
  if (!FeedRange(**file, checker.quote_offset(), checker.error_offset(), &counter).ok()) {
    return Status::Invalid(where, "text follows the closing quote of a quoted field");
  }
  if (counter.line() != quote_line) {
    return Status::Invalid(where, "the quoted field opened here (line ", quote_line,
                           ") runs on to line ", counter.line());
  }
  auto after = (*file)->ReadAt(checker.error_offset(), kMaxShownRow);
  const std::string text = after.ok() ? Shorten((*after)->ToString()) : std::string();
  return Status::Invalid(where, "'", text,
                         "' follows the closing quote of a quoted field (write a quote inside "
                         "a quoted field as \"\")");
}

// What the quote check found, shared with the stream Arrow reads on its I/O thread.
struct QuoteState {
  std::mutex mutex;
  CsvQuoteChecker checker;
  Status error;
  int64_t file_size = 0;
};

// The file as Arrow reads it, failing the read that reveals an unbalanced quote.
class QuoteCheckingStream : public arrow::io::InputStream {
 public:
  QuoteCheckingStream(std::shared_ptr<arrow::io::InputStream> raw, std::string path,
                      std::shared_ptr<QuoteState> state)
      : raw_(std::move(raw)), path_(std::move(path)), state_(std::move(state)) {}

  Status Close() override { return raw_->Close(); }
  bool closed() const override { return raw_->closed(); }
  Result<int64_t> Tell() const override { return raw_->Tell(); }

  Result<int64_t> Read(int64_t nbytes, void* out) override {
    FST_ASSIGN_OR_RAISE(int64_t n, raw_->Read(nbytes, out));
    FST_RETURN_NOT_OK(Check(static_cast<const uint8_t*>(out), n));
    return n;
  }
  Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    FST_ASSIGN_OR_RAISE(auto buffer, raw_->Read(nbytes));
    FST_RETURN_NOT_OK(Check(buffer->data(), buffer->size()));
    return buffer;
  }

 private:
  Status Check(const uint8_t* data, int64_t size) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (!state_->error.ok()) return state_->error;
    const bool ok = size == 0 ? state_->checker.Finish() : state_->checker.Consume(data, size);
    if (!ok) {
      state_->error = DescribeQuoteProblem(path_, state_->checker,
                                           "the quoted field opened here is never closed");
    }
    return state_->error;
  }

  std::shared_ptr<arrow::io::InputStream> raw_;
  std::string path_;
  std::shared_ptr<QuoteState> state_;
};

// The last row Arrow's parser refused for its number of fields.
struct InvalidRowState {
  std::mutex mutex;
  bool seen = false;
  int32_t expected = 0;
  int32_t actual = 0;
  int64_t number = -1;
  std::string text;
};

// The names in the first row of `file`, parsed as Arrow parses rows.
// Errors: Invalid for an empty file or a header Arrow cannot parse.
Result<std::vector<std::string>> ReadHeader(const std::string& path,
                                            arrow::io::RandomAccessFile& file,
                                            const arrow::csv::ParseOptions& parse_options) {
  FST_ASSIGN_OR_RAISE(const int64_t size, file.GetSize());
  if (size == 0) return Status::Invalid(path, ": empty file; a CSV file needs a header row");
  for (int64_t probe = kHeaderProbeBytes;; probe *= 4) {
    const int64_t n = std::min(probe, size);
    FST_ASSIGN_OR_RAISE(auto buffer, file.ReadAt(0, n));
    std::string_view data(reinterpret_cast<const char*>(buffer->data()), buffer->size());
    if (data.substr(0, 3) == "\xEF\xBB\xBF") data.remove_prefix(3);
    arrow::csv::BlockParser parser(parse_options, -1, 0, 1);
    uint32_t parsed = 0;
    Status status = n == size ? parser.ParseFinal(data, &parsed) : parser.Parse(data, &parsed);
    if (!status.ok()) return Status::Invalid(path, ": header: ", status.message());
    if (parser.num_rows() == 1) {
      std::vector<std::string> names;
      FST_RETURN_NOT_OK(parser.VisitLastRow([&](const uint8_t* value, uint32_t length, bool, bool) {
        names.emplace_back(reinterpret_cast<const char*>(value), length);
        return Status::OK();
      }));
      return names;
    }
    if (n == size) {
      return Status::Invalid(path, ": empty file; a CSV file needs a header row");
    }
  }
}

class CsvConnector : public Connector {
 public:
  CsvConnector(std::string path, core::Schema schema, const ReadOptions& options, CsvRead mode)
      : path_(std::move(path)),
        schema_(std::move(schema)),
        slicer_(options.batch_rows),
        parallel_(mode == CsvRead::kParallel) {}

  Status Open(const ReadOptions& options);
  Result<Batch> Next() override;

 private:
  Status Fail(Status status) {
    error_ = std::move(status);
    return error_;
  }
  // Starts Arrow's reader on the file: in parallel, with the declared columns DirectReadType
  // names parsed as Arrow reads them (direct_parse.h), or serially with every declared column
  // read as text. The reader's rows before data row `first_row` (0-based) are dropped.
  // Errors: the parallel reader's as Arrow gives them; the serial one's as DescribeArrowError.
  Status Start(bool parallel, int64_t first_row);
  Status DescribeArrowError(const Status& status);
  Result<std::shared_ptr<arrow::RecordBatch>> Convert(const arrow::RecordBatch& raw);

  std::string path_;
  core::Schema schema_;
  BatchSlicer slicer_;
  std::vector<std::string> header_;
  arrow::csv::ParseOptions parse_options_;
  arrow::csv::ConvertOptions text_options_;  // every declared column as text
  int64_t block_bytes_ = 0;
  bool parallel_;              // whether reader_ reads in parallel
  std::vector<bool> direct_;   // per declared column: whether reader_ parses it directly
  int64_t skip_rows_ = 0;      // rows reader_ still has to drop
  std::shared_ptr<QuoteState> quotes_;
  std::shared_ptr<InvalidRowState> invalid_row_;
  std::shared_ptr<arrow::csv::StreamingReader> reader_;
  std::shared_ptr<arrow::Schema> output_schema_;
  bool done_ = false;
  Status error_;
};

Status CsvConnector::Open(const ReadOptions& options) {
  FST_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path_));

  parse_options_ = arrow::csv::ParseOptions::Defaults();
  parse_options_.newlines_in_values = true;
  FST_ASSIGN_OR_RAISE(header_, ReadHeader(path_, *file, parse_options_));

  text_options_ = arrow::csv::ConvertOptions::Defaults();
  text_options_.null_values = {""};
  text_options_.strings_can_be_null = true;
  std::unordered_set<std::string> declared;
  for (const auto& spec : schema_) {
    if (!spec.path.empty()) {
      return Status::Invalid(path_, ": column '", spec.name, "' declares path '", spec.path,
                             "'; CSV columns are read by their header name (paths reach into "
                             "JSON and Parquet structs)");
    }
    const std::string& name = spec.name;
    const auto count = std::count(header_.begin(), header_.end(), name);
    if (count == 0) return MissingColumn(path_, spec, header_);
    if (count > 1) {
      return Status::Invalid(path_, ": column '", name, "' appears ", count,
                             " times in the header");
    }
    text_options_.column_types[name] =
        spec.type == core::ValueType::kBytes ? arrow::binary() : arrow::utf8();
    text_options_.include_columns.push_back(name);
    declared.insert(name);
  }
  if (options.keep_extra_columns) {
    for (const auto& name : header_) {
      if (declared.insert(name).second) text_options_.include_columns.push_back(name);
    }
  }
  block_bytes_ = std::clamp(options.batch_rows * kBlockBytesPerRow, kMinBlockBytes, kMaxBlockBytes);

  // The serial reader says what is wrong with a file the parallel one cannot read.
  if (!parallel_ || !Start(true, 0).ok()) FST_RETURN_NOT_OK(Start(false, 0));

  arrow::FieldVector fields = DeclaredFields(schema_);
  const auto& read_fields = reader_->schema()->fields();
  fields.insert(fields.end(), read_fields.begin() + schema_.size(), read_fields.end());
  output_schema_ = arrow::schema(std::move(fields));
  return Status::OK();
}

Status CsvConnector::Start(bool parallel, int64_t first_row) {
  FST_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path_));
  quotes_ = std::make_shared<QuoteState>();
  invalid_row_ = std::make_shared<InvalidRowState>();
  FST_ASSIGN_OR_RAISE(quotes_->file_size, file->GetSize());

  auto parse_options = parse_options_;
  parse_options.invalid_row_handler = [state = invalid_row_](const arrow::csv::InvalidRow& row) {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->seen = true;
    state->expected = row.expected_columns;
    state->actual = row.actual_columns;
    state->number = row.number;
    state->text = Shorten(row.text);
    return arrow::csv::InvalidRowResult::Error;
  };
  auto read_options = arrow::csv::ReadOptions::Defaults();
  read_options.use_threads = parallel;
  read_options.block_size = static_cast<int32_t>(block_bytes_);

  auto convert_options = text_options_;
  direct_.assign(schema_.size(), false);
  // Extra columns get Arrow's inferred types, and inference tries timestamp parsers: with
  // extra columns read, every declared column is read as text.
  if (parallel && convert_options.include_columns.size() == schema_.size()) {
    for (size_t c = 0; c < schema_.size(); ++c) {
      if (auto type = DirectReadType(schema_[c].type)) {
        convert_options.column_types[schema_[c].name] = std::move(type);
        direct_[c] = true;
      }
    }
    convert_options.timestamp_parsers = {DirectParser()};
  }
  if (output_schema_ != nullptr) {
    // Extra columns keep the types the first reader inferred from the first block.
    for (int i = static_cast<int>(schema_.size()); i < output_schema_->num_fields(); ++i) {
      const auto& field = output_schema_->field(i);
      convert_options.column_types[field->name()] = field->type();
    }
  }

  auto stream = std::make_shared<QuoteCheckingStream>(file, path_, quotes_);
  auto reader = arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), stream,
                                                  read_options, parse_options, convert_options);
  if (!reader.ok()) return parallel ? reader.status() : DescribeArrowError(reader.status());
  reader_ = *std::move(reader);
  parallel_ = parallel;
  skip_rows_ = first_row;
  return Status::OK();
}

Result<Batch> CsvConnector::Next() {
  if (!error_.ok()) return error_;
  while (slicer_.empty() && !done_) {
    std::shared_ptr<arrow::RecordBatch> raw;
    Status status = reader_->ReadNext(&raw);
    if (status.ok() && raw != nullptr && skip_rows_ > 0) {
      const int64_t skipped = std::min(skip_rows_, raw->num_rows());
      skip_rows_ -= skipped;
      raw = raw->Slice(skipped);
      if (raw->num_rows() == 0) continue;
    }
    Result<std::shared_ptr<arrow::RecordBatch>> converted = raw;
    if (status.ok() && raw != nullptr) converted = Convert(*raw);
    if (parallel_ && !(status.ok() && converted.ok())) {
      // An error, or text the direct parsers leave to the text path (blank, invalid): the
      // serial reader reads the rows not yet queued again, to give the null, or the error
      // with its row, exactly as it would have alone.
      Status restarted = Start(false, slicer_.rows());
      if (!restarted.ok()) return Fail(std::move(restarted));
      continue;
    }
    if (!status.ok()) return Fail(DescribeArrowError(status));
    if (raw == nullptr) {
      done_ = true;
      break;
    }
    if (!converted.ok()) return Fail(converted.status());
    slicer_.Push(*std::move(converted));
  }
  if (slicer_.empty()) return Batch{nullptr, slicer_.rows()};
  return slicer_.Pop();
}

Result<std::shared_ptr<arrow::RecordBatch>> CsvConnector::Convert(const arrow::RecordBatch& raw) {
  // Declared columns are converted in parallel on Arrow's CPU pool; with errors in several,
  // the first column's is reported, as one column after the other would.
  arrow::ArrayVector columns(static_cast<size_t>(raw.num_columns()));
  std::vector<Status> errors(schema_.size());
  FST_RETURN_NOT_OK(arrow::internal::ParallelFor(
      static_cast<int>(schema_.size()), [&](int i) -> Status {
        const auto c = static_cast<size_t>(i);
        const auto input = direct_[c] ? RelabelDirect(*raw.column(i), schema_[c].type)
                                      : raw.column(i);
        auto column = CoerceColumn(*input, schema_[c], path_, slicer_.rows());
        if (column.ok()) {
          columns[c] = *std::move(column);
        } else {
          errors[c] = column.status();
        }
        return Status::OK();
      }));
  for (const Status& error : errors) FST_RETURN_NOT_OK(error);
  for (int i = static_cast<int>(schema_.size()); i < raw.num_columns(); ++i) {
    columns[static_cast<size_t>(i)] = raw.column(i);
  }
  return arrow::RecordBatch::Make(output_schema_, raw.num_rows(), std::move(columns));
}

// Arrow's messages, restated with the file and the data row (Arrow counts the header).
Status CsvConnector::DescribeArrowError(const Status& status) {
  const std::string& message = status.message();
  {
    std::lock_guard<std::mutex> lock(quotes_->mutex);
    if (!quotes_->error.ok() && message.find(quotes_->error.message()) != std::string::npos) {
      return quotes_->error;
    }
    // Arrow fails on its own before the check sees the end when a quote swallows the header
    // or more than two blocks.
    const CsvQuoteChecker& checker = quotes_->checker;
    if (checker.in_quoted_field()) {
      if (checker.consumed() == quotes_->file_size) {
        return DescribeQuoteProblem(path_, checker, "the quoted field opened here is never closed");
      }
      if (message.find("straddl") != std::string::npos) {
        // Arrow holds at most two blocks of a row.
        return DescribeQuoteProblem(
            path_, checker,
            "the quoted field opened here is still open " +
                std::to_string(std::max<int64_t>((2 * block_bytes_) >> 20, 1)) + " MiB later");
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(invalid_row_->mutex);
    if (invalid_row_->seen && invalid_row_->number > 0) {
      return Status::Invalid(path_, ": ", RowLabel(invalid_row_->number), ": expected ",
                             invalid_row_->expected, " fields, found ", invalid_row_->actual, ": ",
                             invalid_row_->text);
    }
  }
  static const std::regex kConversion(
      R"(In CSV column #(\d+): Row #(\d+): CSV conversion error to ([^:]+): invalid value '(.*)')");
  std::smatch match;
  if (std::regex_search(message, match, kConversion)) {
    const size_t column = std::stoul(match[1].str());
    const int64_t row = std::stoll(match[2].str());
    const std::string name = column < header_.size() ? header_[column] : match[1].str();
    return Status::Invalid(path_, ": ", RowLabel(row), ", column '", name, "': value '",
                           match[4].str(), "' is not a valid ", match[3].str());
  }
  std::string_view rest = message;
  constexpr std::string_view kPrefix = "CSV parse error: ";
  if (rest.substr(0, kPrefix.size()) == kPrefix) rest.remove_prefix(kPrefix.size());
  return Status::Invalid(path_, ": ", rest);
}

}  // namespace

Result<std::unique_ptr<Connector>> OpenCsv(const std::string& path, const core::Schema& schema,
                                           const ReadOptions& options, CsvRead mode) {
  auto connector = std::make_unique<CsvConnector>(path, schema, options, mode);
  FST_RETURN_NOT_OK(connector->Open(options));
  return connector;
}

}  // namespace fst::connectors::internal
