// kind: files — one row per file matching a glob (docs/connectors.md "Files"): path, key,
// size, mtime, content (text or bytes), media_type, content_hash, deleted. An ingest reads the
// files whose content hash differs from the one last published for their path, one at a time,
// and records a row with null content and deleted = true for each path published before that
// no longer matches. The hashes are the source's state (registry/source_state.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/util/utf8.h>

#include "featherstone/connectors/source_kind.h"
#include "featherstone/core/hash.h"
#include "connector_internal.h"
#include "files_internal.h"

namespace fst::connectors {
namespace internal {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// `[...]` at pattern[0]: whether `c` is in the set; `*length` the class's length (0: not a
// class, '[' is then literal).
bool InClass(std::string_view pattern, char c, size_t* length) {
  size_t i = 1;
  const bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool found = false;
  for (bool first = true; i < pattern.size() && (first || pattern[i] != ']'); first = false) {
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      found = found || (pattern[i] <= c && c <= pattern[i + 2]);
      i += 3;
    } else {
      found = found || pattern[i] == c;
      ++i;
    }
  }
  if (i >= pattern.size()) {
    *length = 0;
    return c == '[';
  }
  *length = i + 1;
  return found != negate;
}

bool SegmentMatch(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*') {
    for (size_t skip = 0; skip <= name.size(); ++skip) {
      if (SegmentMatch(pattern.substr(1), name.substr(skip))) return true;
    }
    return false;
  }
  if (name.empty()) return false;
  if (pattern[0] == '?') return SegmentMatch(pattern.substr(1), name.substr(1));
  if (pattern[0] == '[') {
    size_t length = 0;
    const bool in = InClass(pattern, name[0], &length);
    if (length == 0) return name[0] == '[' && SegmentMatch(pattern.substr(1), name.substr(1));
    return in && SegmentMatch(pattern.substr(length), name.substr(1));
  }
  return pattern[0] == name[0] && SegmentMatch(pattern.substr(1), name.substr(1));
}

bool SegmentsMatch(std::span<const std::string_view> pattern,
                   std::span<const std::string_view> path) {
  if (pattern.empty()) return path.empty();
  if (pattern[0] == "**") {
    for (size_t skip = 0; skip <= path.size(); ++skip) {
      if (SegmentsMatch(pattern.subspan(1), path.subspan(skip))) return true;
    }
    return false;
  }
  return !path.empty() && SegmentMatch(pattern[0], path[0]) &&
         SegmentsMatch(pattern.subspan(1), path.subspan(1));
}

bool HasWildcard(std::string_view segment) {
  return segment.find_first_of("*?[") != std::string_view::npos;
}

struct Magic {
  std::string_view prefix;
  std::string_view type;
};

constexpr Magic kMagic[] = {
    {"%PDF-", "application/pdf"},
    {"\x89PNG\r\n\x1a\n", "image/png"},
    {"\xff\xd8\xff", "image/jpeg"},
    {"GIF87a", "image/gif"},
    {"GIF89a", "image/gif"},
    {"PK\x03\x04", "application/zip"},
    {"\x1f\x8b", "application/gzip"},
    {"PAR1", "application/vnd.apache.parquet"},
    {std::string_view("\x28\xb5\x2f\xfd", 4), "application/zstd"},
    {"\x7f" "ELF", "application/x-executable"},
    {"OggS", "audio/ogg"},
    {"fLaC", "audio/flac"},
    {"ID3", "audio/mpeg"},
    {"%!PS", "application/postscript"},
};

struct Extension {
  std::string_view extension;
  std::string_view type;
};

constexpr Extension kExtensions[] = {
    {".md", "text/markdown"},        {".markdown", "text/markdown"},
    {".txt", "text/plain"},          {".rst", "text/x-rst"},
    {".html", "text/html"},          {".htm", "text/html"},
    {".css", "text/css"},            {".csv", "text/csv"},
    {".tsv", "text/tab-separated-values"},
    {".json", "application/json"},   {".jsonl", "application/x-ndjson"},
    {".ndjson", "application/x-ndjson"},
    {".xml", "application/xml"},     {".yaml", "application/yaml"},
    {".yml", "application/yaml"},    {".toml", "application/toml"},
    {".py", "text/x-python"},        {".js", "text/javascript"},
    {".c", "text/x-c"},              {".h", "text/x-c"},
    {".cc", "text/x-c++"},           {".cpp", "text/x-c++"},
    {".svg", "image/svg+xml"},       {".webp", "image/webp"},
    {".wav", "audio/wav"},           {".mp4", "video/mp4"},
};

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  const auto p = Segments(pattern);
  const auto s = Segments(path);
  return SegmentsMatch(p, s);
}

Result<std::vector<ListedFile>> ListGlob(const std::string& base, const std::string& pattern) {
  namespace fs = std::filesystem;
  const bool absolute = !pattern.empty() && pattern[0] == '/';
  // The directory below which the pattern can match: its segments before the first wildcard.
  std::string prefix = absolute ? "/" : "";
  const auto segments = Segments(pattern);
  size_t literal = 0;
  while (literal < segments.size() && !HasWildcard(segments[literal])) ++literal;
  std::vector<ListedFile> files;
  auto consider = [&](const std::string& name) {
    const std::string full = absolute ? name : base + "/" + name;
    std::error_code error;
    if (!fs::is_regular_file(full, error)) return;
    if (GlobMatch(pattern, name)) files.push_back({name, full});
  };
  if (literal == segments.size()) {  // no wildcard: one file
    std::string name = prefix;
    for (size_t i = 0; i < segments.size(); ++i) name += (i > 0 ? "/" : "") + std::string(segments[i]);
    consider(name);
    return files;
  }
  std::string dir = prefix;
  for (size_t i = 0; i < literal; ++i) dir += std::string(segments[i]) + "/";
  const std::string root = absolute ? dir : base + "/" + dir;
  std::error_code error;
  if (!fs::is_directory(root, error)) return files;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
  if (error) return Status::IOError(root, ": cannot list: ", error.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (error) return Status::IOError(root, ": cannot list: ", error.message());
    if (it->is_directory(error)) {
      if (it->path().filename() == ".featherstone") it.disable_recursion_pending();
      continue;
    }
    consider(dir + it->path().lexically_relative(root).generic_string());
  }
  if (error) return Status::IOError(root, ": cannot list: ", error.message());
  std::sort(files.begin(), files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.name < b.name; });
  return files;
}

std::string MediaType(std::string_view name, std::string_view head, bool utf8) {
  for (const auto& magic : kMagic) {
    if (head.starts_with(magic.prefix)) return std::string(magic.type);
  }
  if (head.size() >= 12 && head.starts_with("RIFF") && head.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  std::string extension = std::filesystem::path(std::string(name)).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& entry : kExtensions) {
    if (entry.extension == extension) return std::string(entry.type);
  }
  return utf8 ? "text/plain" : "application/octet-stream";
}

}  // namespace internal

namespace {

constexpr SourceKey kKeys[] = {{"path", true}, {"key_from", false}, {"timestamp_from", false}};
// The columns a files source has, with their types (content: by format).
constexpr std::string_view kColumns[] = {"path",       "key",          "size",   "mtime",
                                         "content",    "media_type",   "content_hash",
                                         "deleted"};
// A batch holds files up to this many bytes of content (one larger file: alone).
constexpr int64_t kBatchBytes = 64 << 20;
constexpr int64_t kMaxFileBytes = (int64_t{1} << 31) - 1;  // Arrow binary offsets are int32
constexpr char kDeleted[] = "deleted";                    // state of a path seen deleted

core::ValueType ExpectedType(std::string_view column, bool bytes) {
  if (column == "size") return core::ValueType::kInt64;
  if (column == "mtime") return core::ValueType::kTimestamp;
  if (column == "deleted") return core::ValueType::kBool;
  if (column == "content" && bytes) return core::ValueType::kBytes;
  return core::ValueType::kString;
}

// The column of `source` holding the event time (its timestamp_field), by input name.
std::string EventColumn(const definitions::Source& source) {
  const core::ColumnSpec* spec = core::FindColumn(source.schema, source.timestamp_field);
  return spec == nullptr ? source.timestamp_field : internal::SourceName(*spec);
}

void Check(const definitions::Source& source, std::vector<std::string>* problems) {
  const std::string prefix = "source '" + source.name + "': ";
  if (source.format != "" && source.format != "text" && source.format != "bytes") {
    problems->push_back(YamlAt(source.location) + ": " + prefix + "format '" + source.format +
                        "' is not one a files source reads; use text or bytes");
  }
  const std::string key_from = SourceOption(source, "key_from", "path");
  if (key_from != "path" && key_from != "stem") {
    problems->push_back(OptionLocation(source, "key_from") + ": " + prefix + "key_from '" + key_from +
                        "' is not path or stem");
  }
  const std::string from = SourceOption(source, "timestamp_from", "mtime");
  if (from != "mtime" && from != "ingest") {
    problems->push_back(OptionLocation(source, "timestamp_from") + ": " + prefix + "timestamp_from '" +
                        from + "' is not mtime or ingest");
  }
  const std::string event = EventColumn(source);
  std::string available;
  for (std::string_view name : kColumns) available += (available.empty() ? "" : ", ") + std::string(name);
  for (size_t i = 0; i < source.schema.size(); ++i) {
    const core::ColumnSpec& spec = source.schema[i];
    const std::string& name = internal::SourceName(spec);
    const std::string at =
        YamlAt(i < source.column_locations.size() ? source.column_locations[i] : source.location);
    if (name == event) continue;  // the event time; validate.cc checks its type
    if (std::find(std::begin(kColumns), std::end(kColumns), name) == std::end(kColumns)) {
      problems->push_back(at + ": " + prefix + "column '" + name +
                          "' is not a column of a files source; available: " + available +
                          ", and the timestamp_field column (the event time)");
      continue;
    }
    const core::ValueType type = ExpectedType(name, source.format == "bytes");
    if (spec.type != type) {
      problems->push_back(at + ": " + prefix + "column '" + spec.name + "' has type " +
                          std::string(core::ValueTypeName(spec.type)) + "; a files source gives " +
                          std::string(core::ValueTypeName(type)) +
                          (name == "content" ? " (format: text is string, bytes is bytes)" : ""));
    }
  }
}

Status Errno(const std::string& path, const char* what) {
  return Status::IOError(path, ": cannot ", what, ": ", std::strerror(errno));
}

// A file read into `data` from `offset` on; its size and mtime from the open file.
Result<std::pair<int64_t, int64_t>> ReadInto(const std::string& path, arrow::ResizableBuffer* data,
                                             int64_t offset) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(path, "open for reading");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = Errno(path, "stat");
    ::close(fd);
    return status;
  }
  const int64_t size = st.st_size;
  const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000 + st.st_mtim.tv_nsec / 1000;
  if (size > kMaxFileBytes) {
    ::close(fd);
    return Status::Invalid(path, ": ", size, " bytes; a files source reads files below 2 GiB");
  }
  Status status = data->Resize(offset + size, /*shrink_to_fit=*/false);
  int64_t done = 0;
  while (status.ok() && done < size) {
    const ssize_t n = ::read(fd, data->mutable_data() + offset + done,
                             static_cast<size_t>(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Errno(path, "read");
    if (n == 0) status = Status::IOError(path, ": changed while read (shorter than its size)");
    if (n > 0) done += n;
  }
  ::close(fd);
  FST_RETURN_NOT_OK(status);
  return std::make_pair(size, mtime);
}

struct ToRead {
  internal::ListedFile file;
  int64_t size = 0;  // when listed
  std::optional<std::string> expected;
};

// The raw rows, every column of a files source, batch by batch; OpenReader turns them into
// the declared columns.
class FileRows : public arrow::RecordBatchReader {
 public:
  FileRows(const definitions::Source& source, const SourceContext& context,
           std::vector<ToRead> to_read, std::vector<StateChange> gone)
      : bytes_(source.format == "bytes"),
        stem_(SourceOption(source, "key_from", "path") == "stem"),
        from_mtime_(SourceOption(source, "timestamp_from", "mtime") == "mtime"),
        event_(EventColumn(source)),
        now_(context.now_us),
        batch_rows_(context.read.batch_rows),
        to_read_(std::move(to_read)),
        gone_(std::move(gone)) {
    const auto ts = core::ToArrowType(core::ValueType::kTimestamp);
    arrow::FieldVector fields = {
        arrow::field("path", arrow::utf8()),       arrow::field("key", arrow::utf8()),
        arrow::field("size", arrow::int64()),      arrow::field("mtime", ts),
        arrow::field("content", bytes_ ? arrow::binary() : arrow::utf8()),
        arrow::field("media_type", arrow::utf8()), arrow::field("content_hash", arrow::utf8()),
        arrow::field("deleted", arrow::boolean())};
    if (std::find(std::begin(kColumns), std::end(kColumns), event_) == std::end(kColumns)) {
      fields.push_back(arrow::field(event_, ts));
    }
    schema_ = arrow::schema(std::move(fields));
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (next_ < to_read_.size()) {
      ARROW_ASSIGN_OR_RAISE(*out, ReadFiles());
      if ((*out)->num_rows() > 0) return arrow::Status::OK();
    }
    if (!gone_sent_ && !gone_.empty()) {
      gone_sent_ = true;
      ARROW_ASSIGN_OR_RAISE(*out, Deletions());
    }
    return arrow::Status::OK();
  }

  const std::vector<RejectedInput>& rejected() const { return rejected_; }
  std::vector<StateChange> changes() const {
    std::vector<StateChange> all = read_;
    all.insert(all.end(), gone_.begin(), gone_.end());
    return all;
  }

 private:
  std::string Key(const std::string& name) const {
    return stem_ ? std::filesystem::path(name).stem().string() : name;
  }

  // Rows of the next files: at most batch_rows_ and kBatchBytes of content (or one file).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> ReadFiles() {
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> data,
                          arrow::AllocateResizableBuffer(0));
    arrow::TypedBufferBuilder<int32_t> offsets;
    ARROW_RETURN_NOT_OK(offsets.Append(0));
    arrow::StringBuilder path, key, media, hash;
    arrow::Int64Builder size;
    const auto ts = core::ToArrowType(core::ValueType::kTimestamp);
    arrow::TimestampBuilder mtime(ts, arrow::default_memory_pool());
    arrow::TimestampBuilder event(ts, arrow::default_memory_pool());
    arrow::BooleanBuilder deleted;
    // This batch's files, by their listed sizes; the buffer grows if one grew since.
    size_t end = next_;
    int64_t planned = 0;
    while (end < to_read_.size() && static_cast<int64_t>(end - next_) < batch_rows_ &&
           (end == next_ || planned + to_read_[end].size <= kBatchBytes)) {
      planned += to_read_[end++].size;
    }
    ARROW_RETURN_NOT_OK(data->Reserve(planned));
    int64_t used = 0;
    int64_t rows = 0;
    while (next_ < end) {
      const ToRead& file = to_read_[next_++];
      auto read = ReadInto(file.file.full, data.get(), used);
      if (!read.ok()) return arrow::Status::IOError(read.status().message());
      const auto [length, modified] = *read;
      const std::string_view content(reinterpret_cast<const char*>(data->data()) + used,
                                     static_cast<size_t>(length));
      const std::string content_hash = core::HashHex(content);
      read_.push_back({file.file.name, file.expected, content_hash});
      const bool utf8 = arrow::util::ValidateUTF8(content);
      if (!bytes_ && !utf8) {
        rejected_.push_back({file.file.name, file.file.name + ": not valid UTF-8 text; a " +
                                                 "source with format: text reads UTF-8 only "
                                                 "(format: bytes reads any file)"});
        continue;
      }
      used += length;
      ++rows;
      ARROW_RETURN_NOT_OK(offsets.Append(static_cast<int32_t>(used)));
      ARROW_RETURN_NOT_OK(path.Append(file.file.name));
      ARROW_RETURN_NOT_OK(key.Append(Key(file.file.name)));
      ARROW_RETURN_NOT_OK(size.Append(length));
      const int64_t event_time = from_mtime_ ? modified : now_;
      ARROW_RETURN_NOT_OK(mtime.Append(event_ == "mtime" ? event_time : modified));
      ARROW_RETURN_NOT_OK(event.Append(event_time));
      ARROW_RETURN_NOT_OK(media.Append(internal::MediaType(file.file.name,
                                                           content.substr(0, 16), utf8)));
      ARROW_RETURN_NOT_OK(hash.Append(content_hash));
      ARROW_RETURN_NOT_OK(deleted.Append(false));
    }
    ARROW_RETURN_NOT_OK(data->Resize(used));
    ARROW_ASSIGN_OR_RAISE(auto offset_buffer, offsets.Finish());
    std::shared_ptr<arrow::Array> content =
        bytes_ ? std::shared_ptr<arrow::Array>(
                     std::make_shared<arrow::BinaryArray>(rows, offset_buffer, data))
               : std::make_shared<arrow::StringArray>(rows, offset_buffer, data);
    arrow::ArrayVector columns(8);
    ARROW_RETURN_NOT_OK(path.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(key.Finish(&columns[1]));
    ARROW_RETURN_NOT_OK(size.Finish(&columns[2]));
    ARROW_RETURN_NOT_OK(mtime.Finish(&columns[3]));
    columns[4] = std::move(content);
    ARROW_RETURN_NOT_OK(media.Finish(&columns[5]));
    ARROW_RETURN_NOT_OK(hash.Finish(&columns[6]));
    ARROW_RETURN_NOT_OK(deleted.Finish(&columns[7]));
    return Make(rows, std::move(columns), event);
  }

  // One row per path no longer matching: null content, deleted = true, at the ingest's time.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Deletions() {
    const auto ts = core::ToArrowType(core::ValueType::kTimestamp);
    arrow::StringBuilder path, key;
    arrow::TimestampBuilder mtime(ts, arrow::default_memory_pool());
    arrow::TimestampBuilder event(ts, arrow::default_memory_pool());
    arrow::BooleanBuilder deleted;
    for (const auto& gone : gone_) {
      ARROW_RETURN_NOT_OK(path.Append(gone.key));
      ARROW_RETURN_NOT_OK(key.Append(Key(gone.key)));
      ARROW_RETURN_NOT_OK(event_ == "mtime" ? mtime.Append(now_) : mtime.AppendNull());
      ARROW_RETURN_NOT_OK(event.Append(now_));
      ARROW_RETURN_NOT_OK(deleted.Append(true));
    }
    const auto rows = static_cast<int64_t>(gone_.size());
    arrow::ArrayVector columns(8);
    ARROW_RETURN_NOT_OK(path.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(key.Finish(&columns[1]));
    ARROW_ASSIGN_OR_RAISE(columns[2], arrow::MakeArrayOfNull(arrow::int64(), rows));
    ARROW_RETURN_NOT_OK(mtime.Finish(&columns[3]));
    ARROW_ASSIGN_OR_RAISE(columns[4], arrow::MakeArrayOfNull(schema_->field(4)->type(), rows));
    for (int i : {5, 6}) {
      ARROW_ASSIGN_OR_RAISE(columns[i], arrow::MakeArrayOfNull(arrow::utf8(), rows));
    }
    ARROW_RETURN_NOT_OK(deleted.Finish(&columns[7]));
    return Make(rows, std::move(columns), event);
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Make(int64_t rows,
                                                          arrow::ArrayVector columns,
                                                          arrow::TimestampBuilder& event) {
    if (schema_->num_fields() > 8) {
      columns.emplace_back();
      ARROW_RETURN_NOT_OK(event.Finish(&columns.back()));
    }
    return arrow::RecordBatch::Make(schema_, rows, std::move(columns));
  }

  bool bytes_;
  bool stem_;
  bool from_mtime_;
  std::string event_;
  int64_t now_;
  int64_t batch_rows_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<ToRead> to_read_;
  size_t next_ = 0;
  std::vector<StateChange> gone_;
  bool gone_sent_ = false;
  std::vector<StateChange> read_;
  std::vector<RejectedInput> rejected_;
};

class FilesInput : public SourceInput {
 public:
  FilesInput(std::string describe, std::shared_ptr<FileRows> rows,
             std::unique_ptr<Connector> connector, bool empty)
      : describe_(std::move(describe)),
        rows_(std::move(rows)),
        connector_(std::move(connector)),
        empty_(empty) {}

  Result<Batch> Next() override { return connector_->Next(); }
  std::string Describe() const override { return describe_; }
  bool Empty() const override { return empty_; }
  std::vector<RejectedInput> Rejected() const override { return rows_->rejected(); }
  std::vector<StateChange> Changes() const override { return rows_->changes(); }

 private:
  std::string describe_;
  std::shared_ptr<FileRows> rows_;
  std::unique_ptr<Connector> connector_;
  bool empty_;
};

Result<std::unique_ptr<SourceInput>> Open(const definitions::Source& source,
                                          const core::Schema& schema,
                                          const SourceContext& context) {
  arrow::util::InitializeUTF8();  // ValidateUTF8's tables
  const std::string pattern = SourceOption(source, "path");
  FST_ASSIGN_OR_RAISE(auto listed, internal::ListGlob(context.repo_dir, pattern));
  // Which files changed: their content hash against the state (read in 1 MiB chunks).
  std::vector<ToRead> to_read;
  std::vector<std::string> names;
  for (auto& file : listed) {
    names.push_back(file.name);
    auto stored = context.state.find(file.name);
    std::optional<std::string> expected;
    if (stored != context.state.end()) expected = stored->second;
    FST_ASSIGN_OR_RAISE(const std::string hash, core::HashFileHex(file.full));
    if (expected == hash) continue;
    std::error_code error;
    const auto size = static_cast<int64_t>(std::filesystem::file_size(file.full, error));
    to_read.push_back({std::move(file), error ? 0 : size, std::move(expected)});
  }
  std::vector<StateChange> gone;
  for (const auto& [name, value] : context.state) {
    if (value == kDeleted || std::binary_search(names.begin(), names.end(), name)) continue;
    gone.push_back({name, value, kDeleted});
  }
  const bool empty = to_read.empty() && gone.empty();
  auto rows = std::make_shared<FileRows>(source, context, std::move(to_read), std::move(gone));
  const std::string describe = "files:" + pattern;
  FST_ASSIGN_OR_RAISE(auto connector, OpenReader(rows, schema, describe, context.read));
  return std::make_unique<FilesInput>(describe, std::move(rows), std::move(connector), empty);
}

}  // namespace

const SourceKind& FilesKind() {
  static const SourceKind kind{"files", kKeys, &Check, &Open};
  return kind;
}

}  // namespace fst::connectors
