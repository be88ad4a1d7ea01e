#include "featherstone/core/file_system.h"

#include <algorithm>
#include <map>
#include <mutex>

#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>

namespace fst::core {

std::shared_ptr<arrow::fs::FileSystem> LocalFs() {
  static const auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  return fs;
}

struct FaultInjectionFileSystem::State
    : std::enable_shared_from_this<FaultInjectionFileSystem::State> {
  explicit State(std::shared_ptr<arrow::fs::FileSystem> fs) : base(std::move(fs)) {}

  // Counts one mutating operation and says whether it may run. Caller holds `mutex`.
  Status Begin(const char* what, const std::string& path) {
    FST_RETURN_NOT_OK(CheckAlive(what, path));
    ++ops;
    if (ops == crash_at) {
      CrashLocked();
      return Status::IOError("simulated crash at operation ", ops, " (", what, " ", path, ")");
    }
    if (ops == fail_at) {
      return Status::IOError("injected failure of operation ", ops, " (", what, " ", path, ")");
    }
    return Status::OK();
  }

  Status CheckAlive(const char* what, const std::string& path) const {
    if (!crashed) return Status::OK();
    return Status::IOError(what, " ", path, ": the file system crashed");
  }

  void CrashLocked() {
    crashed = true;
    for (auto& [id, stream] : streams) (void)stream->Abort();
    streams.clear();
    for (const auto& [path, durable] : unsynced) {
      auto info = base->GetFileInfo(path);
      if (!info.ok() || info->type() != arrow::fs::FileType::File) continue;
      (void)Restore(path, durable);
      lost.push_back(path);
    }
    unsynced.clear();
  }

  // Cuts the file at `path` back to its first `size` bytes.
  Status Restore(const std::string& path, int64_t size) {
    std::shared_ptr<arrow::Buffer> prefix;
    if (size > 0) {
      FST_ASSIGN_OR_RAISE(auto input, base->OpenInputFile(path));
      FST_ASSIGN_OR_RAISE(prefix, input->ReadAt(0, size));
    }
    FST_ASSIGN_OR_RAISE(auto output, base->OpenOutputStream(path));
    if (prefix != nullptr) FST_RETURN_NOT_OK(output->Write(prefix));
    return output->Close();
  }

  // Entries of `unsynced` at `path` or below it.
  void ForgetUnder(const std::string& path) {
    for (auto it = unsynced.begin(); it != unsynced.end();) {
      const bool under = it->first == path || (it->first.size() > path.size() &&
                                               it->first.compare(0, path.size(), path) == 0 &&
                                               it->first[path.size()] == '/');
      it = under ? unsynced.erase(it) : std::next(it);
    }
  }

  Result<std::shared_ptr<arrow::io::OutputStream>> Track(
      const std::string& path, int64_t durable, std::shared_ptr<arrow::io::OutputStream> stream);

  std::shared_ptr<arrow::fs::FileSystem> base;
  mutable std::mutex mutex;
  int64_t ops = 0;
  int64_t fail_at = 0;
  int64_t crash_at = 0;
  bool crashed = false;
  int64_t next_stream = 0;
  std::map<int64_t, std::shared_ptr<arrow::io::OutputStream>> streams;  // live, by id
  // Files written through a stream that was not closed: path -> bytes durable before it.
  std::map<std::string, int64_t> unsynced;
  std::vector<std::string> lost;
};

namespace {

// An output stream of FaultInjectionFileSystem: each Write and Close is an operation.
class FaultOutputStream : public arrow::io::OutputStream {
 public:
  using State = FaultInjectionFileSystem::State;

  FaultOutputStream(std::shared_ptr<State> state, int64_t id, std::string path,
                    std::shared_ptr<arrow::io::OutputStream> base)
      : state_(std::move(state)), id_(id), path_(std::move(path)), base_(std::move(base)) {}

  ~FaultOutputStream() override {
    std::lock_guard lock(state_->mutex);
    state_->streams.erase(id_);
  }

  Status Write(const void* data, int64_t nbytes) override {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->Begin("write", path_));
    return base_->Write(data, nbytes);
  }

  Status Flush() override {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("flush", path_));
    return base_->Flush();
  }

  Status Close() override {
    std::lock_guard lock(state_->mutex);
    if (closed_) return Status::OK();
    FST_RETURN_NOT_OK(state_->Begin("close", path_));
    closed_ = true;
    state_->streams.erase(id_);
    FST_RETURN_NOT_OK(base_->Close());
    state_->unsynced.erase(path_);
    return Status::OK();
  }

  Status Abort() override {
    std::lock_guard lock(state_->mutex);
    closed_ = true;
    state_->streams.erase(id_);
    return base_->Abort();
  }

  Result<int64_t> Tell() const override {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("tell", path_));
    return base_->Tell();
  }

  bool closed() const override {
    std::lock_guard lock(state_->mutex);
    return closed_ || state_->crashed;
  }

 private:
  std::shared_ptr<State> state_;
  int64_t id_;
  std::string path_;
  std::shared_ptr<arrow::io::OutputStream> base_;
  bool closed_ = false;
};

}  // namespace

Result<std::shared_ptr<arrow::io::OutputStream>> FaultInjectionFileSystem::State::Track(
    const std::string& path, int64_t durable, std::shared_ptr<arrow::io::OutputStream> stream) {
  const int64_t id = next_stream++;
  streams.emplace(id, stream);
  auto known = unsynced.find(path);
  if (known == unsynced.end()) {
    unsynced.emplace(path, durable);
  } else {
    known->second = std::min(known->second, durable);
  }
  return std::make_shared<FaultOutputStream>(shared_from_this(), id, path, std::move(stream));
}

FaultInjectionFileSystem::FaultInjectionFileSystem(std::shared_ptr<arrow::fs::FileSystem> base)
    : state_(std::make_shared<State>(std::move(base))) {}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::FailAt(int64_t n) {
  std::lock_guard lock(state_->mutex);
  state_->fail_at = n;
}

void FaultInjectionFileSystem::CrashAt(int64_t n) {
  std::lock_guard lock(state_->mutex);
  state_->crash_at = n;
}

void FaultInjectionFileSystem::Crash() {
  std::lock_guard lock(state_->mutex);
  if (!state_->crashed) state_->CrashLocked();
}

int64_t FaultInjectionFileSystem::ops() const {
  std::lock_guard lock(state_->mutex);
  return state_->ops;
}

bool FaultInjectionFileSystem::crashed() const {
  std::lock_guard lock(state_->mutex);
  return state_->crashed;
}

std::vector<std::string> FaultInjectionFileSystem::lost_files() const {
  std::lock_guard lock(state_->mutex);
  return state_->lost;
}

Result<std::string> FaultInjectionFileSystem::NormalizePath(std::string path) {
  return state_->base->NormalizePath(std::move(path));
}

Result<arrow::fs::FileInfo> FaultInjectionFileSystem::GetFileInfo(const std::string& path) {
  {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("stat", path));
  }
  return state_->base->GetFileInfo(path);
}

Result<arrow::fs::FileInfoVector> FaultInjectionFileSystem::GetFileInfo(
    const arrow::fs::FileSelector& select) {
  {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("list", select.base_dir));
  }
  return state_->base->GetFileInfo(select);
}

Status FaultInjectionFileSystem::CreateDir(const std::string& path, bool recursive) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("create folder", path));
  return state_->base->CreateDir(path, recursive);
}

Status FaultInjectionFileSystem::DeleteDir(const std::string& path) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("delete folder", path));
  FST_RETURN_NOT_OK(state_->base->DeleteDir(path));
  state_->ForgetUnder(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::DeleteDirContents(const std::string& path, bool missing_dir_ok) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("empty folder", path));
  FST_RETURN_NOT_OK(state_->base->DeleteDirContents(path, missing_dir_ok));
  state_->ForgetUnder(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::DeleteRootDirContents() {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("empty folder", "/"));
  FST_RETURN_NOT_OK(state_->base->DeleteRootDirContents());
  state_->unsynced.clear();
  return Status::OK();
}

Status FaultInjectionFileSystem::DeleteFile(const std::string& path) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("delete", path));
  FST_RETURN_NOT_OK(state_->base->DeleteFile(path));
  state_->unsynced.erase(path);
  return Status::OK();
}

Status FaultInjectionFileSystem::Move(const std::string& src, const std::string& dest) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("rename", src + " -> " + dest));
  FST_RETURN_NOT_OK(state_->base->Move(src, dest));
  // A renamed file keeps its durability: unclosed bytes are lost under the new name.
  state_->unsynced.erase(dest);
  auto moved = state_->unsynced.find(src);
  if (moved != state_->unsynced.end()) {
    state_->unsynced.emplace(dest, moved->second);
    state_->unsynced.erase(moved);
  }
  return Status::OK();
}

Status FaultInjectionFileSystem::CopyFile(const std::string& src, const std::string& dest) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("copy", src + " -> " + dest));
  return state_->base->CopyFile(src, dest);
}

Result<std::shared_ptr<arrow::io::InputStream>> FaultInjectionFileSystem::OpenInputStream(
    const std::string& path) {
  {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("read", path));
  }
  return state_->base->OpenInputStream(path);
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> FaultInjectionFileSystem::OpenInputFile(
    const std::string& path) {
  {
    std::lock_guard lock(state_->mutex);
    FST_RETURN_NOT_OK(state_->CheckAlive("read", path));
  }
  return state_->base->OpenInputFile(path);
}

Result<std::shared_ptr<arrow::io::OutputStream>> FaultInjectionFileSystem::OpenOutputStream(
    const std::string& path, const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("create", path));
  FST_ASSIGN_OR_RAISE(auto base, state_->base->OpenOutputStream(path, metadata));
  return state_->Track(path, 0, std::move(base));
}

Result<std::shared_ptr<arrow::io::OutputStream>> FaultInjectionFileSystem::OpenAppendStream(
    const std::string& path, const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) {
  std::lock_guard lock(state_->mutex);
  FST_RETURN_NOT_OK(state_->Begin("append", path));
  auto info = state_->base->GetFileInfo(path);
  const int64_t durable = info.ok() && info->type() == arrow::fs::FileType::File ? info->size() : 0;
  FST_ASSIGN_OR_RAISE(auto base, state_->base->OpenAppendStream(path, metadata));
  return state_->Track(path, durable, std::move(base));
}

}  // namespace fst::core
