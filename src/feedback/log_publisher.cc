#include "featherstone/feedback/log_publisher.h"

#include <map>
#include <string>
#include <string_view>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>

#include "featherstone/connectors/json_messages.h"
#include "featherstone/core/time.h"
#include "featherstone/ingest/ingest.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::feedback {
namespace {

using json = nlohmann::json;

// A layout's three columns per feature, named once per part rather than per row: the value
// column's name (compared with the names served) and each column as JSON key text `"name":`.
struct FeatureColumns {
  std::vector<std::string> value;
  std::vector<std::string> value_key, status_key, event_ts_key;
};

FeatureColumns ColumnsOf(const features::LogLayout& layout) {
  FeatureColumns out;
  auto key = [](const std::string& name) {
    std::string text;
    retrieval::AppendJsonString(name, &text);
    return text + ':';
  };
  for (const auto& ref : layout.features) {
    out.value.push_back(features::LogValueColumn(ref));
    out.value_key.push_back(key(out.value.back()));
    out.status_key.push_back(key(features::LogStatusColumn(ref)));
    out.event_ts_key.push_back(key(features::LogEventTsColumn(ref)));
  }
  return out;
}

// The row of entity `e` of `request` as the text of a JSON object of the layout's columns
// (`columns` its ColumnsOf), written directly: a part holds tens of thousands of responses of
// hundreds of values.
std::string LogRow(const features::LogLayout& layout, const FeatureColumns& columns,
                   const LoggedRequest& request, size_t e, bool with_request_fields) {
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
  for (const auto& k : layout.keys) {
    auto it = request.entities[e].find(k.name);
    if (it == request.entities[e].end()) continue;
    key(k.name);
    value(*it);
  }
  if (with_request_fields) {
    for (const auto& field : layout.request_fields) {
      auto it = request.request_data[e].find(field.name);
      if (it == request.request_data[e].end()) continue;
      key(field.name);
      value(*it);
    }
  }
  bool full_names = false;
  for (size_t f = 0; f < layout.features.size(); ++f) {
    key_text(columns.value_key[f]);
    value(request.values[e][f]);
    key_text(columns.status_key[f]);
    retrieval::AppendJsonString(request.statuses[e][f], &out);
    if (request.event_ts[e][f] != 0) {
      key_text(columns.event_ts_key[f]);
      time(request.event_ts[e][f]);
    }
    full_names = full_names || request.feature_names[f] == columns.value[f];
  }
  auto service_hash = request.spec_hashes.find("feature_service/" + request.service);
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

// Whether `request` was served with exactly the feature list of `service`.
bool SameFeatures(const LoggedRequest& request, const definitions::FeatureService& service) {
  if (request.features.size() != service.features.size()) return false;
  for (size_t f = 0; f < request.features.size(); ++f) {
    if (request.features[f].view != service.features[f].view ||
        request.features[f].feature != service.features[f].feature) {
      return false;
    }
  }
  return true;
}

Status WriteWhole(arrow::fs::FileSystem& fs, const std::string& path, const std::string& text) {
  FST_ASSIGN_OR_RAISE(auto output, fs.OpenOutputStream(path + ".tmp"));
  FST_RETURN_NOT_OK(output->Write(text.data(), static_cast<int64_t>(text.size())));
  FST_RETURN_NOT_OK(output->Close());
  return fs.Move(path + ".tmp", path);
}

// Adds the rows of `request` (served by a service with the layout's feature list) to `decoder`,
// one per entity; `columns` is ColumnsOf(layout). Errors: Invalid naming the log line of a
// value that does not convert.
Status AddLogRows(const features::LogLayout& layout, const FeatureColumns& columns,
                  const LoggedRequest& request, connectors::JsonMessageDecoder* decoder) {
  for (size_t e = 0; e < request.entities.size(); ++e) {
    auto where = [&] { return request.where; };
    Status status = decoder->Add(LogRow(layout, columns, request, e, true), where);
    // Request data is logged as the text the client sent; text that is not a value of the
    // field's type (the lookup refused nothing with it) is logged as null.
    if (!status.ok() && !layout.request_fields.empty()) {
      status = decoder->Add(LogRow(layout, columns, request, e, false), where);
    }
    FST_RETURN_NOT_OK(status);
  }
  return Status::OK();
}

}  // namespace

Status PublishLogPart(repo::RepoContext& repo, const std::string& part) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  arrow::fs::FileSystem& fs = repo.fs();
  FST_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(part));
  FST_ASSIGN_OR_RAISE(int64_t size, input->GetSize());
  FST_ASSIGN_OR_RAISE(auto buffer, input->ReadAt(0, size));
  FST_RETURN_NOT_OK(input->Close());
  const std::string_view text(reinterpret_cast<const char*>(buffer->data()),
                              static_cast<size_t>(buffer->size()));

  // Each record becomes its rows as soon as it is parsed, so a part is never held in memory
  // as parsed records (tens of thousands of responses of hundreds of values).
  struct ServiceRows {
    features::LogLayout layout;
    FeatureColumns columns;
    std::unique_ptr<connectors::JsonMessageDecoder> decoder;
  };
  std::map<std::string, ServiceRows> by_service;  // in name order, rows in served order
  std::string kept;
  int64_t line = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view record = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (record.empty()) continue;
    auto request = ParseLoggedRequest(record, part + ":" + std::to_string(line));
    const definitions::FeatureService* service =
        request.ok() && !request->service.empty() ? applied->FindService(request->service)
                                                  : nullptr;
    if (service == nullptr || !SameFeatures(*request, *service)) {
      kept.append(record);
      kept += '\n';
      continue;
    }
    ServiceRows& rows = by_service[service->name];
    if (rows.decoder == nullptr) {
      FST_ASSIGN_OR_RAISE(rows.layout, features::LogLayoutOf(*applied, *service));
      rows.columns = ColumnsOf(rows.layout);
      rows.decoder = std::make_unique<connectors::JsonMessageDecoder>(rows.layout.schema);
    }
    FST_RETURN_NOT_OK(AddLogRows(rows.layout, rows.columns, *request, rows.decoder.get()));
  }

  for (auto& [name, rows] : by_service) {
    FST_ASSIGN_OR_RAISE(auto batch, rows.decoder->Finish());
    FST_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make({batch}, batch->schema()));
    ingest::IngestOptions options;
    options.skip_same_content = true;  // a part published before a crash is not published again
    FST_RETURN_NOT_OK(ingest::IngestTable(repo, definitions::LogSourceName(name), std::move(reader),
                                          "feature log " + part, options)
                          .status());
  }
  if (!kept.empty()) {
    FST_RETURN_NOT_OK(WriteWhole(fs, part.substr(0, part.size() - 6) + ".kept.jsonl", kept));
  }
  return fs.DeleteFile(part);
}

std::function<Status(const std::string& part)> LogPublisher(const std::string& repo_dir) {
  auto context = std::make_shared<std::unique_ptr<repo::RepoContext>>();
  return [context, repo_dir](const std::string& part) -> Status {
    if (*context == nullptr) {
      FST_ASSIGN_OR_RAISE(*context, repo::RepoContext::Open(repo_dir));
    }
    return PublishLogPart(**context, part);
  };
}

}  // namespace fst::feedback
