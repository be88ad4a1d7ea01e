#include "featherstone/feedback/log_publisher.h"

#include <map>
#include <string>
#include <string_view>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>

#include "featherstone/ingest/ingest.h"
#include "log_publisher_rows.h"

namespace fst::feedback {
namespace {

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

}  // namespace

Status PublishLogPart(repo::RepoContext& repo, const std::string& part) {
  FST_ASSIGN_OR_RAISE(const definitions::Repo* applied, repo.Applied());
  arrow::fs::FileSystem& fs = repo.fs();
  // Each line becomes its rows as soon as it is read, so a part is never held in memory as
  // records (tens of thousands of responses of hundreds of values). Lines as the writer writes
  // them are scanned straight into columns; any other goes through the reader's parser.
  std::map<std::string, std::unique_ptr<internal::LogRows>, std::less<>> by_service;
  // The service's rows, made at its first line (in name order, rows in served order).
  auto rows_of = [&](const definitions::FeatureService& service) -> Result<internal::LogRows*> {
    auto it = by_service.find(service.name);
    if (it == by_service.end()) {
      FST_ASSIGN_OR_RAISE(auto rows, internal::LogRows::Make(*applied, service));
      it = by_service.emplace(service.name, std::move(rows)).first;
    }
    return it->second.get();
  };
  internal::ScannedLogLine scanned;
  std::string kept;
  auto add = [&](std::string_view record, int64_t line) -> Status {
    if (internal::ScanLogLine(record, &scanned)) {
      const definitions::FeatureService* service = applied->FindService(std::string(scanned.service));
      if (service != nullptr && internal::SameFeatures(scanned, *service)) {
        FST_ASSIGN_OR_RAISE(internal::LogRows * rows, rows_of(*service));
        FST_ASSIGN_OR_RAISE(bool added, rows->AddScanned(scanned));
        if (added) return Status::OK();
      }
    }
    auto request = ParseLoggedRequest(record, part + ":" + std::to_string(line));
    const definitions::FeatureService* service =
        request.ok() && !request->service.empty() ? applied->FindService(request->service)
                                                  : nullptr;
    if (service == nullptr || !SameFeatures(*request, *service)) {
      kept.append(record);
      kept += '\n';
      return Status::OK();
    }
    FST_ASSIGN_OR_RAISE(internal::LogRows * rows, rows_of(*service));
    return rows->AddParsed(*request);
  };
  FST_RETURN_NOT_OK(ReadLogLines(fs, part, /*unterminated_last=*/true,
                                 [&](std::string_view lines, int64_t* line) -> Status {
                                   for (size_t start = 0; start < lines.size(); ++*line) {
                                     const size_t end = lines.find('\n', start);
                                     const std::string_view record =
                                         lines.substr(start, end - start);
                                     start = end + 1;
                                     if (!record.empty()) FST_RETURN_NOT_OK(add(record, *line));
                                   }
                                   return Status::OK();
                                 }));

  for (auto& [name, rows] : by_service) {
    FST_ASSIGN_OR_RAISE(auto batches, rows->Finish());
    FST_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make(batches, batches[0]->schema()));
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
