#include "featherstone/ingest/compact.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <arrow/compute/cast.h>
#include <arrow/filesystem/filesystem.h>

#include "featherstone/lineage/lineage_run.h"
#include "featherstone/offline/part_file.h"
#include "kill_point.h"
#include "part_sink.h"

namespace fst::ingest {
namespace {

constexpr char kCompactedPrefix[] = "compact-";
constexpr char kPartPrefix[] = "part-";
constexpr char kParquet[] = ".parquet";

// An exclusive lock on one source's compaction, held by this process until destroyed (the
// kernel drops it when the process dies, so a killed compaction never blocks the next).
class SourceLock {
 public:
  static Result<std::unique_ptr<SourceLock>> Take(const std::string& path,
                                                  const std::string& source) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError(path, ": ", std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) {
        return Status::Invalid("another compaction of source '", source, "' is running (", path,
                               " is locked)");
      }
      return Status::IOError(path, ": ", std::strerror(error));
    }
    return std::unique_ptr<SourceLock>(new SourceLock(fd));
  }
  ~SourceLock() { ::close(fd_); }
  SourceLock(const SourceLock&) = delete;
  SourceLock& operator=(const SourceLock&) = delete;

 private:
  explicit SourceLock(int fd) : fd_(fd) {}
  int fd_;
};

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The ingest id of a part file name "part-IIIIIIII-NNNN.parquet"; -1 for any other name.
int64_t PartIngest(const std::string& name) {
  if (!name.starts_with(kPartPrefix) || !name.ends_with(kParquet)) return -1;
  const size_t first = std::strlen(kPartPrefix);
  size_t i = first;
  int64_t id = 0;
  for (; i < name.size() && i < first + 18 && name[i] >= '0' && name[i] <= '9'; ++i) {
    id = id * 10 + (name[i] - '0');
  }
  return i > first && i < name.size() && name[i] == '-' ? id : -1;
}

// Deletes the files in `dir` that no reader can reach and no running write will publish:
// compacted files that are not listed (written by a compaction that died before its commit,
// or replaced by a later one that died before deleting them), and parts of published ingests
// that are not listed (replaced by a compaction that died before deleting them). Parts of
// unpublished ingests are left alone: their ingest may still be running. Call with the
// source's lock held. Returns how many were deleted.
Result<int64_t> CleanUnlisted(repo::RepoContext& repo, const std::string& source,
                              const std::string& dir) {
  // Ingests first: an ingest published after this list has its parts in the list below.
  FST_ASSIGN_OR_RAISE(auto ingests, repo.registry().ListIngests(source));
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source));
  std::set<int64_t> published;
  for (const auto& ingest : ingests) published.insert(ingest.id);
  std::set<std::string> listed;
  for (const auto& file : files) listed.insert(BaseName(file.path));
  arrow::fs::FileSelector selector;
  selector.base_dir = dir;
  selector.allow_not_found = true;
  FST_ASSIGN_OR_RAISE(auto infos, repo.fs().GetFileInfo(selector));
  int64_t cleaned = 0;
  for (const auto& info : infos) {
    if (!info.IsFile()) continue;
    const std::string name = BaseName(info.path());
    if (listed.count(name) > 0) continue;
    const bool compacted = name.starts_with(kCompactedPrefix) && name.ends_with(kParquet);
    const int64_t ingest = PartIngest(name);
    if (!compacted && (ingest < 0 || published.count(ingest) == 0)) continue;
    FST_RETURN_NOT_OK(repo.fs().DeleteFile(info.path()));
    ++cleaned;
  }
  return cleaned;
}

// Groups of small files (fewer than `target` rows), in listing (ingest) order, each of at
// most `target` rows; a group of one file is no group.
std::vector<std::vector<const registry::FileRecord*>> PlanGroups(
    const std::vector<registry::FileRecord>& files, int64_t target) {
  std::vector<std::vector<const registry::FileRecord*>> groups;
  std::vector<const registry::FileRecord*> group;
  int64_t rows = 0;
  auto close = [&] {
    if (group.size() >= 2) groups.push_back(group);
    group.clear();
    rows = 0;
  };
  for (const auto& file : files) {
    if (file.rows >= target) continue;
    if (rows + file.rows > target) close();
    group.push_back(&file);
    rows += file.rows;
  }
  close();
  return groups;
}

// `column` as `type` (a file written under an older, narrower schema).
Result<std::shared_ptr<arrow::ChunkedArray>> AsType(const std::shared_ptr<arrow::ChunkedArray>& column,
                                                    const std::shared_ptr<arrow::DataType>& type,
                                                    const std::string& path,
                                                    const std::string& name) {
  if (column->type()->Equals(type)) return column;
  auto cast = arrow::compute::Cast(arrow::Datum(column), type);
  if (!cast.ok()) {
    return Status::Invalid(path, ": column '", name, "' is stored as ",
                           column->type()->ToString(), ", which does not convert to the declared ",
                           type->ToString(), ": ", cast.status().message());
  }
  return cast->chunked_array();
}

Result<std::shared_ptr<arrow::Array>> Flat(const std::shared_ptr<arrow::ChunkedArray>& column) {
  if (column->num_chunks() == 1) return column->chunk(0);
  if (column->num_chunks() == 0) return arrow::MakeEmptyArray(column->type());
  return arrow::Concatenate(column->chunks());
}

// Reads the files of one group: the source's declared columns (as declared) and __seq, with
// the rows and event time range of each ingest they hold.
Result<std::shared_ptr<arrow::Table>> ReadGroup(repo::RepoContext& repo,
                                                const definitions::Source& source,
                                                const std::vector<const registry::FileRecord*>& group,
                                                std::map<int64_t, registry::IngestSpan>* spans) {
  std::vector<std::string> names;
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& column : source.schema) {
    names.push_back(column.name);
    types.push_back(core::ToArrowType(column.type));
  }
  names.push_back(offline::kSeqColumn);
  types.push_back(arrow::int64());
  const int ts_index = static_cast<int>(std::find(names.begin(), names.end(),
                                                  source.timestamp_field) - names.begin());
  const int seq_index = static_cast<int>(names.size()) - 1;
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (size_t c = 0; c < names.size(); ++c) fields.push_back(arrow::field(names[c], types[c]));
  auto schema = arrow::schema(fields);
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (const auto* file : group) {
    const std::string path = repo.OfflineRoot() + "/" + file->path;
    FST_ASSIGN_OR_RAISE(auto part, offline::ReadPartColumns(repo.fs(), path, names, types));
    std::vector<std::shared_ptr<arrow::ChunkedArray>> columns;
    for (int c = 0; c < part->num_columns(); ++c) {
      FST_ASSIGN_OR_RAISE(auto column, AsType(part->column(c), types[static_cast<size_t>(c)],
                                              path, names[static_cast<size_t>(c)]));
      columns.push_back(column);
    }
    FST_ASSIGN_OR_RAISE(auto ts, Flat(columns[static_cast<size_t>(ts_index)]));
    FST_ASSIGN_OR_RAISE(auto seq, Flat(columns[static_cast<size_t>(seq_index)]));
    const int64_t* raw_ts = ts->data()->GetValues<int64_t>(1);
    const int64_t* raw_seq = seq->data()->GetValues<int64_t>(1);
    for (int64_t i = 0; i < part->num_rows(); ++i) {
      const int64_t ingest = raw_seq[i] >> 32;
      auto [it, fresh] = spans->try_emplace(ingest, registry::IngestSpan{ingest, 0, raw_ts[i],
                                                                         raw_ts[i]});
      it->second.rows += 1;
      it->second.min_ts = std::min(it->second.min_ts, raw_ts[i]);
      it->second.max_ts = std::max(it->second.max_ts, raw_ts[i]);
    }
    tables.push_back(arrow::Table::Make(schema, columns, part->num_rows()));
  }
  return arrow::ConcatenateTables(tables);
}

// Writes one compacted file of `group` and returns its record (path relative to the offline
// root, the ingests it holds).
Result<registry::FileRecord> WriteGroup(repo::RepoContext& repo, const definitions::Source& source,
                                        const std::vector<std::string>& sort_keys,
                                        const std::vector<const registry::FileRecord*>& group,
                                        const std::string& name) {
  std::map<int64_t, registry::IngestSpan> spans;
  FST_ASSIGN_OR_RAISE(auto table, ReadGroup(repo, source, group, &spans));
  // One chunk per column: the sort and the take over thousands of small chunks (one per
  // file and row group) cost more than the copy.
  FST_ASSIGN_OR_RAISE(table, table->CombineChunks());
  offline::PartLayout layout{sort_keys, source.timestamp_field, source.created_timestamp_field};
  for (const auto& key : sort_keys) {
    // A join key column older files lack (read as nulls): the part is written unsorted by
    // keys, and readers sort it for theirs, as they do parts written for other join keys.
    auto column = table->GetColumnByName(key);
    if (column == nullptr || column->null_count() > 0) {
      layout.sort_keys.clear();
      break;
    }
  }
  FST_ASSIGN_OR_RAISE(auto written,
                      offline::WriteSortedPart(repo.fs(), table, layout,
                                               repo.OfflineRoot() + "/" + source.name + "/" + name));
  registry::FileRecord record;
  record.source = source.name;
  record.path = source.name + "/" + name;
  record.rows = written.rows;
  record.min_ts = written.min_ts;
  record.max_ts = written.max_ts;
  for (const auto& [id, span] : spans) {
    record.held.push_back(span);
    record.ingest_id = std::max(record.ingest_id, id);
  }
  return record;
}

Result<CompactResult> Run(repo::RepoContext& repo, const definitions::Source& source,
                          const std::vector<std::string>& sort_keys,
                          const CompactOptions& options,
                          std::unique_ptr<lineage::LineageRun>* run) {
  const std::string dir = repo.OfflineRoot() + "/" + source.name;
  CompactResult result;
  std::unique_ptr<SourceLock> lock;
  if (!options.dry_run) {
    FST_ASSIGN_OR_RAISE(lock, SourceLock::Take(repo.dir() + "/.featherstone/compact-" +
                                                   source.name + ".lock",
                                               source.name));
    FST_ASSIGN_OR_RAISE(result.cleaned, CleanUnlisted(repo, source.name, dir));
  }
  FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source.name));
  result.files_before = result.files_after = static_cast<int64_t>(files.size());
  const auto groups = PlanGroups(files, options.target_rows);
  for (const auto& group : groups) {
    CompactGroup planned;
    for (const auto* file : group) {
      planned.inputs.push_back(file->path);
      planned.rows += file->rows;
    }
    result.rows += planned.rows;
    result.groups.push_back(std::move(planned));
  }
  if (options.dry_run || groups.empty()) return result;

  const std::string& project = repo.project();
  *run = std::make_unique<lineage::LineageRun>(
      repo.lineage(), "compact." + source.name,
      std::vector<lineage::Dataset>{{project, "offline/" + source.name}},
      std::vector<lineage::Dataset>{{project, "offline/" + source.name}});
  FST_ASSIGN_OR_RAISE(result.compaction_id, repo.registry().BeginCompaction(source.name));
  std::vector<registry::FileRecord> written;
  auto discard = [&] {
    for (const auto& file : written) (void)repo.fs().DeleteFile(repo.OfflineRoot() + "/" + file.path);
  };
  std::vector<std::string> replaced;
  for (size_t g = 0; g < groups.size(); ++g) {
    char name[64];
    std::snprintf(name, sizeof(name), "%s%08lld-%04zu%s", kCompactedPrefix,
                  static_cast<long long>(result.compaction_id), g, kParquet);
    auto record = WriteGroup(repo, source, sort_keys, groups[g], name);
    if (!record.ok()) {
      discard();
      return record.status();
    }
    written.push_back(*record);
    result.groups[g].output = record->path;
    for (const auto* file : groups[g]) replaced.push_back(file->path);
    KillPoint("compact.after_part");
  }
  KillPoint("compact.before_commit");
  Status committed = repo.registry().CommitCompaction(result.compaction_id, replaced, written);
  if (!committed.ok()) {
    discard();
    return committed;
  }
  KillPoint("compact.after_commit");
  // Unlisted now; a file a crash leaves here is deleted by the next compaction.
  for (const auto& path : replaced) (void)repo.fs().DeleteFile(repo.OfflineRoot() + "/" + path);
  result.files_after = result.files_before - static_cast<int64_t>(replaced.size()) +
                       static_cast<int64_t>(written.size());
  return result;
}

}  // namespace

Result<CompactResult> Compact(repo::RepoContext& repo, const std::string& source,
                              const CompactOptions& options) {
  if (options.target_rows < 1) {
    return Status::Invalid("target rows must be at least 1, not ", options.target_rows);
  }
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(const definitions::Source* source_def, repo.AppliedSource(source));
  const auto sort_keys = internal::SortKeysFor(*applied, *source_def);
  std::unique_ptr<lineage::LineageRun> run;
  auto result = Run(repo, *source_def, sort_keys, options, &run);
  if (run != nullptr) {
    if (result.ok()) {
      lineage::Dataset output{repo.project(), "offline/" + source};
      output.output_facets = lineage::OutputStatistics(result->rows);
      run->Complete(result->rows, {}, {output});
    } else {
      run->Fail(result.status().message());
    }
  }
  return result;
}

}  // namespace fst::ingest
