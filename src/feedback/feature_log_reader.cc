#include "featherstone/feedback/feature_log_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>
#include <unordered_set>

#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>

#include "featherstone/connectors/json_messages.h"
#include "featherstone/core/time.h"
#include "featherstone/features/log_source.h"
#include "featherstone/features/on_demand.h"
#include "featherstone/offline/part_file.h"
#include "featherstone/retrieval/online_json.h"
#include "featherstone/retrieval/historical.h"
#include "featherstone/serving/feature_log.h"

namespace fst::feedback {
namespace {

using json = nlohmann::json;

constexpr char kIdPrefix[] = "{\"request_id\":";  // how FeatureLogLine starts a record

// The field `name` of `record`, which must have type `is`; `what` names the type in errors.
Result<const json*> Field(const json& record, const char* name, bool (json::*is)() const noexcept,
                          const char* what, const std::string& where) {
  auto it = record.find(name);
  if (it == record.end() || !((*it).*is)()) {
    return Status::Invalid(where, ": not a feature log record: field '", name, "' ",
                           it == record.end() ? "is missing" : "is not " + std::string(what));
  }
  return &*it;
}

// `matrix` as rows x columns of JSON values, moved out of `record`. Errors: Invalid when its
// shape differs.
Result<std::vector<std::vector<json>>> Matrix(json& record, const char* name, size_t rows,
                                              size_t columns, const std::string& where) {
  FST_ASSIGN_OR_RAISE(const json* matrix, Field(record, name, &json::is_array, "an array", where));
  if (matrix->size() != rows) {
    return Status::Invalid(where, ": field '", name, "' has ", matrix->size(), " rows for ",
                           rows, " entities");
  }
  std::vector<std::vector<json>> out;
  out.reserve(rows);
  for (auto& row : record[name]) {
    if (!row.is_array() || row.size() != columns) {
      return Status::Invalid(where, ": field '", name, "': a row does not have ", columns,
                             " values, one per feature");
    }
    out.push_back(std::move(row.get_ref<json::array_t&>()));
  }
  return out;
}

// A key or request value as the text entity files hold: strings as they are, else JSON.
std::string Text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

Result<LoggedRequest> ParseLoggedRequest(std::string_view line, const std::string& where) {
  json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return Status::Invalid(where, ": not a JSON object");
  LoggedRequest out;
  out.where = where;
  FST_ASSIGN_OR_RAISE(auto id, Field(record, "request_id", &json::is_string, "a string", where));
  out.request_id = id->get<std::string>();
  FST_ASSIGN_OR_RAISE(auto served, Field(record, "served_at_us", &json::is_number_integer,
                                         "an integer", where));
  out.served_at_us = served->get<int64_t>();
  FST_ASSIGN_OR_RAISE(auto at, Field(record, "at_us", &json::is_number_integer, "an integer", where));
  out.at_us = at->get<int64_t>();
  auto service = record.find("service");
  if (service != record.end() && service->is_string()) out.service = service->get<std::string>();
  FST_ASSIGN_OR_RAISE(auto hashes, Field(record, "spec_hashes", &json::is_object, "an object", where));
  for (const auto& [key, value] : hashes->items()) {
    if (value.is_string()) out.spec_hashes[key] = value.get<std::string>();
  }
  FST_ASSIGN_OR_RAISE(auto features, Field(record, "features", &json::is_array, "an array", where));
  out.features.reserve(features->size());
  for (const auto& feature : *features) {
    auto ref = feature.is_string() ? definitions::ParseFeatureRef(feature.get<std::string>())
                                   : Result<definitions::FeatureRef>(Status::Invalid("not text"));
    if (!ref.ok()) {
      return Status::Invalid(where, ": field 'features': ", feature.dump(),
                             " is not a view:feature reference");
    }
    out.features.push_back(*ref);
  }
  FST_ASSIGN_OR_RAISE(auto names, Field(record, "feature_names", &json::is_array, "an array", where));
  out.feature_names.reserve(names->size());
  for (const auto& name : *names) out.feature_names.push_back(Text(name));
  if (out.feature_names.size() != out.features.size()) {
    return Status::Invalid(where, ": ", out.feature_names.size(), " feature_names for ",
                           out.features.size(), " features");
  }
  FST_RETURN_NOT_OK(Field(record, "entities", &json::is_array, "an array", where).status());
  for (auto& entity : record["entities"]) {
    if (!entity.is_object()) return Status::Invalid(where, ": an entity is not an object");
    out.entities.push_back(std::move(entity));
  }
  const size_t n = out.entities.size();
  out.request_data.assign(n, json::object());
  auto requests = record.find("request_data");
  if (requests != record.end()) {
    if (!requests->is_array() || requests->size() != n) {
      return Status::Invalid(where, ": field 'request_data' is not one object per entity");
    }
    for (size_t e = 0; e < n; ++e) out.request_data[e] = std::move((*requests)[e]);
  }
  const size_t f = out.features.size();
  FST_ASSIGN_OR_RAISE(out.values, Matrix(record, "values", n, f, where));
  FST_ASSIGN_OR_RAISE(auto statuses, Matrix(record, "statuses", n, f, where));
  FST_ASSIGN_OR_RAISE(auto times, Matrix(record, "event_timestamps_us", n, f, where));
  out.statuses.resize(n);
  out.event_ts.resize(n);
  for (size_t e = 0; e < n; ++e) {
    out.statuses[e].reserve(f);
    out.event_ts[e].reserve(f);
    for (size_t c = 0; c < f; ++c) {
      out.statuses[e].push_back(Text(statuses[e][c]));
      out.event_ts[e].push_back(times[e][c].is_number_integer() ? times[e][c].get<int64_t>() : 0);
    }
  }
  return out;
}

Status ReadLogLines(arrow::fs::FileSystem& fs, const std::string& path, bool unterminated_last,
                    const std::function<Status(std::string_view lines, int64_t* line)>& block) {
  FST_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(path));
  FST_ASSIGN_OR_RAISE(int64_t size, input->GetSize());
  // One buffer for every chunk (grown only for a line longer than a chunk): a part is tens of
  // MiB, and memory fresh for each would be faulted in (zeroed by the kernel) page by page.
  constexpr size_t kChunk = 8 << 20;
  size_t capacity = 2 * kChunk;
  auto buffer = std::make_unique_for_overwrite<char[]>(capacity);
  size_t kept = 0;  // bytes of an unfinished line, at the buffer's start
  int64_t line = 1;
  for (int64_t offset = 0; offset < size;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(kChunk, size - offset));
    if (kept + n > capacity) {
      capacity = 2 * (kept + n);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      std::memcpy(grown.get(), buffer.get(), kept);
      buffer = std::move(grown);
    }
    FST_ASSIGN_OR_RAISE(int64_t read, input->ReadAt(offset, static_cast<int64_t>(n),
                                                    buffer.get() + kept));
    if (read == 0) break;
    offset += read;
    const std::string_view text(buffer.get(), kept + static_cast<size_t>(read));
    const size_t whole = text.rfind('\n') + 1;  // npos + 1 == 0: no whole line yet
    if (whole > 0) FST_RETURN_NOT_OK(block(text.substr(0, whole), &line));
    kept = text.size() - whole;
    std::memmove(buffer.get(), buffer.get() + whole, kept);
  }
  FST_RETURN_NOT_OK(input->Close());
  if (unterminated_last && kept > 0) {
    std::string last(buffer.get(), kept);
    last += '\n';
    FST_RETURN_NOT_OK(block(last, &line));
  }
  return Status::OK();
}

Result<std::vector<LoggedRequest>> ReadFeatureLog(arrow::fs::FileSystem& fs, const std::string& dir,
                                                  const LogFilter& filter, int threads) {
  std::vector<LoggedRequest> out;
  FST_ASSIGN_OR_RAISE(auto folder, fs.GetFileInfo(dir));
  if (folder.type() == arrow::fs::FileType::NotFound) return out;
  arrow::fs::FileSelector selector;
  selector.base_dir = dir;
  selector.recursive = true;
  FST_ASSIGN_OR_RAISE(auto infos, fs.GetFileInfo(selector));
  std::vector<std::string> parts;
  for (const auto& info : infos) {
    const std::string& path = info.path();
    if (info.IsFile() && (path.ends_with(".jsonl") || path.ends_with(".jsonl.tmp"))) {
      parts.push_back(path);
    }
  }
  std::sort(parts.begin(), parts.end());
  // A quick test before parsing a whole line: the request id appears in it.
  const std::string id_text = filter.request_id.empty() ? "" : json(filter.request_id).dump();
  for (const auto& path : parts) {
    auto keep = [&](const LoggedRequest& request) {
      return (filter.request_id.empty() || request.request_id == filter.request_id) &&
             (filter.service.empty() || request.service == filter.service) &&
             request.served_at_us >= filter.from_us && request.served_at_us <= filter.to_us;
    };
    auto add = [&](std::string_view record, int64_t line) -> Status {
      FST_ASSIGN_OR_RAISE(auto request,
                          ParseLoggedRequest(record, path + ":" + std::to_string(line)));
      if (keep(request)) out.push_back(std::move(request));
      return Status::OK();
    };
    // A part's unterminated last line (still being written, or cut by a crash) is never read.
    FST_RETURN_NOT_OK(ReadLogLines(fs, path, false, [&](std::string_view lines, int64_t* at) {
      int64_t& line = *at;
      const size_t whole = lines.size();
      size_t start = 0;
      if (!id_text.empty()) {
        // One request: the log writes request_id first, so a line is parsed only when it
        // starts with the id (or, written otherwise, holds it); lines are found by memchr.
        for (; start < whole; ++line) {
          const size_t end = lines.find('\n', start);
          const std::string_view record = lines.substr(start, end - start);
          start = end + 1;
          const bool candidate = record.starts_with(kIdPrefix)
                                     ? record.substr(sizeof(kIdPrefix) - 1).starts_with(id_text)
                                     : record.find(id_text) != std::string_view::npos;
          if (candidate) FST_RETURN_NOT_OK(add(record, line));
        }
        return Status::OK();
      }
      // Every line: parsed on `threads` threads (the lines of a block split in slices), then
      // filtered in order.
      std::vector<std::pair<std::string_view, int64_t>> records;
      for (; start < whole; ++line) {
        const size_t end = lines.find('\n', start);
        if (end > start) records.emplace_back(lines.substr(start, end - start), line);
        start = end + 1;
      }
      std::vector<Result<LoggedRequest>> parsed(records.size(), Status::UnknownError("unparsed"));
      auto parse = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
          parsed[i] = ParseLoggedRequest(records[i].first,
                                         path + ":" + std::to_string(records[i].second));
        }
      };
      const size_t slices = std::max<size_t>(1, std::min<size_t>(threads, records.size()));
      std::vector<std::thread> workers;
      for (size_t t = 1; t < slices; ++t) {
        workers.emplace_back(parse, records.size() * t / slices, records.size() * (t + 1) / slices);
      }
      parse(0, records.size() / slices);
      for (auto& worker : workers) worker.join();
      for (auto& request : parsed) {
        FST_RETURN_NOT_OK(request.status());
        if (keep(*request)) out.push_back(std::move(*request));
      }
      return Status::OK();
    }));
  }
  std::stable_sort(out.begin(), out.end(), [](const LoggedRequest& a, const LoggedRequest& b) {
    return a.served_at_us != b.served_at_us ? a.served_at_us < b.served_at_us
                                            : a.request_id < b.request_id;
  });
  return out;
}

Result<std::vector<LoggedRequest>> ReadPublishedLog(repo::RepoContext& repo,
                                                    const LogFilter& filter) {
  std::vector<LoggedRequest> out;
  auto applied = repo.Applied();
  if (!applied.ok()) return out;
  for (const auto& service : (*applied)->feature_services) {
    if (!filter.service.empty() && service.name != filter.service) continue;
    const std::string source = definitions::LogSourceName(service.name);
    if ((*applied)->FindSource(source) == nullptr) continue;  // applied before logs were sources
    FST_ASSIGN_OR_RAISE(features::LogLayout layout, features::LogLayoutOf(**applied, service));
    std::vector<std::string> names;
    std::vector<std::shared_ptr<arrow::DataType>> types;
    for (const auto& column : layout.schema) {
      names.push_back(column.name);
      types.push_back(core::ToArrowType(column.type));
    }
    // Column indexes: the fixed ones, then keys, request fields and three per feature.
    const int keys = 3;
    const int fields = keys + static_cast<int>(layout.keys.size());
    const int values = fields + static_cast<int>(layout.request_fields.size());
    const int trailer = values + 3 * static_cast<int>(layout.features.size());
    FST_ASSIGN_OR_RAISE(auto files, repo.registry().ListFiles(source));
    for (const auto& file : files) {
      if (file.max_ts < filter.from_us || file.min_ts > filter.to_us) continue;
      const std::string path = repo.OfflineRoot() + "/" + file.path;
      FST_ASSIGN_OR_RAISE(auto part, offline::ReadPartColumns(repo.fs(), path, names, types));
      FST_ASSIGN_OR_RAISE(part, part->CombineChunks());
      if (part->num_rows() == 0) continue;
      std::vector<std::shared_ptr<arrow::Array>> column;
      for (int c = 0; c < part->num_columns(); ++c) column.push_back(part->column(c)->chunk(0));
      const auto& ids = static_cast<const arrow::StringArray&>(*column[0]);
      const auto& served = static_cast<const arrow::TimestampArray&>(*column[1]);
      const auto& at = static_cast<const arrow::TimestampArray&>(*column[2]);
      auto json_at = [&](int c, int64_t i) {
        return column[c]->IsNull(i) ? json() : json(retrieval::ToJson(*column[c], i));
      };
      LoggedRequest* current = nullptr;
      for (int64_t i = 0; i < part->num_rows(); ++i) {
        if (ids.IsNull(i) || served.IsNull(i)) continue;
        const std::string_view id = ids.GetView(i);
        if (!filter.request_id.empty() && id != filter.request_id) continue;
        const int64_t served_at = served.Value(i);
        if (served_at < filter.from_us || served_at > filter.to_us) continue;
        if (current == nullptr || current->request_id != id) {
          current = &out.emplace_back();
          current->request_id = std::string(id);
          current->served_at_us = served_at;
          current->at_us = at.IsNull(i) ? served_at : at.Value(i);
          current->service = service.name;
          const json hashes = json::parse(
              column[trailer + 1]->IsNull(i)
                  ? std::string_view("{}")
                  : static_cast<const arrow::StringArray&>(*column[trailer + 1]).GetView(i),
              nullptr, /*allow_exceptions=*/false);
          if (hashes.is_object()) {
            for (const auto& [key, value] : hashes.items()) {
              if (value.is_string()) current->spec_hashes[key] = value.get<std::string>();
            }
          }
          const auto& full = static_cast<const arrow::BooleanArray&>(*column[trailer + 2]);
          const bool full_names = !full.IsNull(i) && full.Value(i);
          current->features = layout.features;
          for (const auto& ref : layout.features) {
            current->feature_names.push_back(full_names ? features::LogValueColumn(ref)
                                                        : ref.feature);
          }
          current->where = path + ":row " + std::to_string(i + 1);
        }
        json entity = json::object();
        for (int c = keys; c < fields; ++c) {
          if (!column[c]->IsNull(i)) entity[names[c]] = json_at(c, i);
        }
        json request = json::object();
        for (int c = fields; c < values; ++c) {
          if (!column[c]->IsNull(i)) request[names[c]] = Text(json_at(c, i));
        }
        std::vector<json> row_values;
        std::vector<std::string> row_statuses;
        std::vector<int64_t> row_times;
        for (int c = values; c < trailer; c += 3) {
          row_values.push_back(json_at(c, i));
          const auto& status = static_cast<const arrow::StringArray&>(*column[c + 1]);
          row_statuses.push_back(status.IsNull(i) ? "" : std::string(status.GetView(i)));
          const auto& time = static_cast<const arrow::TimestampArray&>(*column[c + 2]);
          row_times.push_back(time.IsNull(i) ? 0 : time.Value(i));
        }
        current->entities.push_back(std::move(entity));
        current->request_data.push_back(std::move(request));
        current->values.push_back(std::move(row_values));
        current->statuses.push_back(std::move(row_statuses));
        current->event_ts.push_back(std::move(row_times));
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LoggedRequest& a, const LoggedRequest& b) {
    return a.served_at_us != b.served_at_us ? a.served_at_us < b.served_at_us
                                            : a.request_id < b.request_id;
  });
  return out;
}

Result<std::vector<LoggedRequest>> ReadRepoLog(repo::RepoContext& repo, const LogFilter& filter) {
  FST_ASSIGN_OR_RAISE(auto requests, ReadPublishedLog(repo, filter));
  FST_ASSIGN_OR_RAISE(auto tail, ReadFeatureLog(repo.fs(), serving::FeatureLogDir(repo.dir()),
                                                filter, repo.threads()));
  std::unordered_set<std::string> published;
  for (const auto& request : requests) published.insert(request.request_id);
  for (auto& request : tail) {
    if (!published.contains(request.request_id)) requests.push_back(std::move(request));
  }
  std::stable_sort(requests.begin(), requests.end(),
                   [](const LoggedRequest& a, const LoggedRequest& b) {
                     return a.served_at_us != b.served_at_us ? a.served_at_us < b.served_at_us
                                                             : a.request_id < b.request_id;
                   });
  return requests;
}

Result<std::vector<LoggedRequest>> ReadLoggedRequests(repo::RepoContext& repo,
                                                      const LogFilter& filter) {
  const std::string dir = serving::FeatureLogDir(repo.dir());
  FST_ASSIGN_OR_RAISE(auto requests, ReadRepoLog(repo, filter));
  if (requests.empty()) {
    const bool ranged = filter.from_us != std::numeric_limits<int64_t>::min() ||
                        filter.to_us != std::numeric_limits<int64_t>::max();
    return Status::Invalid("no logged request",
                           filter.service.empty() ? "" : " of service '" + filter.service + "'",
                           " in ", dir, ranged ? " in the requested time range" : "",
                           " (requests are logged by `featherstone serve`)");
  }
  return requests;
}

LoggedRows Explode(const std::vector<const LoggedRequest*>& requests) {
  LoggedRows rows;
  for (const LoggedRequest* request : requests) {
    for (size_t e = 0; e < request->entities.size(); ++e) rows.Add(request, e);
  }
  return rows;
}

Result<std::shared_ptr<arrow::Table>> EntityRows(repo::RepoContext& repo, const LoggedRows& rows,
                                                 const std::vector<definitions::FeatureRef>& refs,
                                                 const std::string& timestamp_column) {
  // Every key and request field the rows name, as text columns; NormalizeEntityTable types them.
  std::vector<std::string> names;
  auto add_names = [&](const json& object) {
    for (const auto& [key, value] : object.items()) {
      if (std::find(names.begin(), names.end(), key) == names.end()) names.push_back(key);
    }
  };
  for (size_t r = 0; r < rows.size(); ++r) {
    add_names(rows.request[r]->entities[rows.entity[r]]);
    add_names(rows.request[r]->request_data[rows.entity[r]]);
  }
  std::vector<arrow::StringBuilder> builders(names.size() + 1);
  for (size_t r = 0; r < rows.size(); ++r) {
    const LoggedRequest& request = *rows.request[r];
    const json& keys = request.entities[rows.entity[r]];
    const json& data = request.request_data[rows.entity[r]];
    for (size_t c = 0; c < names.size(); ++c) {
      const json* value = nullptr;
      if (auto it = keys.find(names[c]); it != keys.end()) {
        value = &*it;
      } else if (auto it2 = data.find(names[c]); it2 != data.end()) {
        value = &*it2;
      }
      if (value == nullptr || value->is_null()) {
        FST_RETURN_NOT_OK(builders[c].AppendNull());
      } else {
        FST_RETURN_NOT_OK(builders[c].Append(Text(*value)));
      }
    }
    FST_RETURN_NOT_OK(builders.back().Append(core::FormatTimestamp(request.at_us)));
  }
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (size_t c = 0; c <= names.size(); ++c) {
    fields.push_back(arrow::field(c < names.size() ? names[c] : timestamp_column, arrow::utf8()));
    FST_ASSIGN_OR_RAISE(auto column, builders[c].Finish());
    columns.push_back(std::move(column));
  }
  auto batch = arrow::RecordBatch::Make(arrow::schema(fields), static_cast<int64_t>(rows.size()),
                                        columns);
  FST_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make({batch}, batch->schema()));
  retrieval::HistoricalOptions options;
  options.timestamp_column = timestamp_column;
  return retrieval::NormalizeEntityTable(repo, std::move(reader), refs, options,
                                         "the feature log");
}

Result<std::shared_ptr<arrow::Table>> ServedValues(repo::RepoContext& repo, const LoggedRows& rows,
                                                   const std::vector<definitions::FeatureRef>& refs,
                                                   const std::vector<std::string>& names) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  FST_ASSIGN_OR_RAISE(auto types, features::FeatureTypes(*applied, refs));
  core::Schema schema;
  for (size_t f = 0; f < refs.size(); ++f) {
    // Positional names: two features may be served under one name only in separate requests.
    schema.push_back({"v" + std::to_string(f), types[f], true, ""});
  }
  connectors::JsonMessageDecoder decoder(schema);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& values = rows.request[r]->values[rows.entity[r]];
    json object = json::object();
    for (size_t f = 0; f < values.size(); ++f) object["v" + std::to_string(f)] = values[f];
    FST_RETURN_NOT_OK(decoder.Add(object.dump(), [&] { return rows.request[r]->where; }));
  }
  FST_ASSIGN_OR_RAISE(auto batch, decoder.Finish());
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (size_t f = 0; f < refs.size(); ++f) {
    fields.push_back(arrow::field(names[f], batch->column(static_cast<int>(f))->type()));
  }
  return arrow::Table::Make(arrow::schema(fields), batch->columns(), batch->num_rows());
}

}  // namespace fst::feedback
