// The file system under the stores: part files, quarantine files and their discards go through
// arrow::fs::FileSystem (a RepoContext holds one), so a test can put FaultInjectionFileSystem
// in between and make I/O errors and crashes at every write point ordinary unit tests.
// SQLite (registry) and RocksDB (online store) keep their own I/O. docs/impl.md "I/O and
// crash tests".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>

#include "featherstone/core/status.h"

namespace fst::core {

// The local file system (arrow::fs::LocalFileSystem), one instance for the process; paths are
// local paths. Thread-safe.
std::shared_ptr<arrow::fs::FileSystem> LocalFs();

// Test support: forwards every call to `base`, counting the mutating operations (opening an
// output stream, each Write and Close on it, CreateDir, DeleteDir*, DeleteFile, Move,
// CopyFile), and fails one of them or simulates a crash. Thread-safe: operations are
// serialized, and numbered in the order they reach the file system.
//
// Crash model: Arrow output streams have no fsync, so a file's bytes are durable once its
// stream's Close returned OK, and a completed CreateDir, Move or Delete is durable. Crash()
// cuts every file written through a stream that was not closed back to its size when the
// stream was opened (0 bytes for OpenOutputStream), and every later operation, reads included,
// fails with IOError. A crash never tears a closed file or undoes a rename.
class FaultInjectionFileSystem : public arrow::fs::FileSystem {
 public:
  explicit FaultInjectionFileSystem(std::shared_ptr<arrow::fs::FileSystem> base);
  ~FaultInjectionFileSystem() override;

  // Mutating operation number `n` (1-based, counted since construction) fails with IOError
  // without reaching `base`; later ones run. 0 = none.
  void FailAt(int64_t n);
  // Operation number `n` does not happen: the file system crashes instead (Crash()) and the
  // operation fails. 0 = none.
  void CrashAt(int64_t n);
  // Crashes now (see the crash model above).
  void Crash();
  // Mutating operations attempted so far, the failed one included.
  int64_t ops() const;
  bool crashed() const;
  // Paths of the files cut back by the crash, for messages.
  std::vector<std::string> lost_files() const;

  std::string type_name() const override { return "fault_injection"; }
  bool Equals(const arrow::fs::FileSystem& other) const override { return &other == this; }
  Result<std::string> NormalizePath(std::string path) override;

  using arrow::fs::FileSystem::CreateDir;
  using arrow::fs::FileSystem::DeleteDirContents;
  using arrow::fs::FileSystem::GetFileInfo;
  using arrow::fs::FileSystem::OpenAppendStream;
  using arrow::fs::FileSystem::OpenInputFile;
  using arrow::fs::FileSystem::OpenInputStream;
  using arrow::fs::FileSystem::OpenOutputStream;

  Result<arrow::fs::FileInfo> GetFileInfo(const std::string& path) override;
  Result<arrow::fs::FileInfoVector> GetFileInfo(const arrow::fs::FileSelector& select) override;
  Status CreateDir(const std::string& path, bool recursive) override;
  Status DeleteDir(const std::string& path) override;
  Status DeleteDirContents(const std::string& path, bool missing_dir_ok) override;
  Status DeleteRootDirContents() override;
  Status DeleteFile(const std::string& path) override;
  Status Move(const std::string& src, const std::string& dest) override;
  Status CopyFile(const std::string& src, const std::string& dest) override;
  Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
      const std::string& path) override;
  Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(
      const std::string& path) override;
  Result<std::shared_ptr<arrow::io::OutputStream>> OpenOutputStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override;
  Result<std::shared_ptr<arrow::io::OutputStream>> OpenAppendStream(
      const std::string& path,
      const std::shared_ptr<const arrow::KeyValueMetadata>& metadata) override;

  // Shared with the output streams, which may outlive the file system.
  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace fst::core
