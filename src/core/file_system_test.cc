#include "featherstone/core/file_system.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <arrow/io/interfaces.h>
#include <gtest/gtest.h>

namespace fst::core {
namespace {

class FaultInjectionFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("FST_TEST_TMP");
    dir_ = (std::filesystem::path(base ? base : "/tmp") / "file_system_test" /
            ::testing::UnitTest::GetInstance()->current_test_info()->name())
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    fs_ = std::make_shared<FaultInjectionFileSystem>(LocalFs());
  }

  // Writes `text` to `path` through fs_: open, one write, close (three operations).
  Status WriteFile(const std::string& path, const std::string& text) {
    FST_ASSIGN_OR_RAISE(auto out, fs_->OpenOutputStream(path));
    FST_RETURN_NOT_OK(out->Write(text));
    return out->Close();
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
  std::shared_ptr<FaultInjectionFileSystem> fs_;
};

TEST_F(FaultInjectionFileSystemTest, CountsMutatingOperationsOnly) {
  ASSERT_TRUE(fs_->CreateDir(dir_ + "/a/b", true).ok());
  ASSERT_TRUE(WriteFile(dir_ + "/a/b/f", "hello").ok());
  ASSERT_TRUE(fs_->GetFileInfo(dir_ + "/a/b/f").ok());
  ASSERT_TRUE(fs_->OpenInputFile(dir_ + "/a/b/f").ok());
  ASSERT_TRUE(fs_->Move(dir_ + "/a/b/f", dir_ + "/a/g").ok());
  ASSERT_TRUE(fs_->DeleteFile(dir_ + "/a/g").ok());
  ASSERT_TRUE(fs_->DeleteDir(dir_ + "/a").ok());
  EXPECT_EQ(fs_->ops(), 7);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/a"));
}

TEST_F(FaultInjectionFileSystemTest, FailAtFailsOnlyThatOperation) {
  fs_->FailAt(2);  // the write
  auto out = fs_->OpenOutputStream(dir_ + "/f");
  ASSERT_TRUE(out.ok());
  Status failed = (*out)->Write("lost");
  EXPECT_TRUE(failed.IsIOError());
  EXPECT_NE(failed.message().find("operation 2"), std::string::npos) << failed.message();
  ASSERT_TRUE((*out)->Write("kept").ok());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(Read(dir_ + "/f"), "kept");
  EXPECT_FALSE(fs_->crashed());
}

TEST_F(FaultInjectionFileSystemTest, CrashKeepsClosedFilesAndCutsOpenOnes) {
  ASSERT_TRUE(WriteFile(dir_ + "/closed", "durable").ok());
  auto open = fs_->OpenOutputStream(dir_ + "/open");
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE((*open)->Write("in the page cache").ok());
  {
    auto dropped = fs_->OpenOutputStream(dir_ + "/dropped");  // never closed
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE((*dropped)->Write("also lost").ok());
  }
  ASSERT_TRUE(std::ofstream(dir_ + "/log") << "abc");
  auto append = fs_->OpenAppendStream(dir_ + "/log");
  ASSERT_TRUE(append.ok());
  ASSERT_TRUE((*append)->Write("def").ok());
  fs_->Crash();

  EXPECT_EQ(Read(dir_ + "/closed"), "durable");
  EXPECT_EQ(Read(dir_ + "/open"), "");
  EXPECT_EQ(Read(dir_ + "/dropped"), "");
  EXPECT_EQ(Read(dir_ + "/log"), "abc");
  EXPECT_EQ(fs_->lost_files().size(), 3u);
  EXPECT_TRUE((*open)->Write("more").IsIOError());
  EXPECT_TRUE((*open)->Close().IsIOError());
  EXPECT_TRUE(fs_->CreateDir(dir_ + "/x", false).IsIOError());
  EXPECT_TRUE(fs_->GetFileInfo(dir_ + "/closed").status().IsIOError());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x"));
}

TEST_F(FaultInjectionFileSystemTest, CrashAfterRenameLosesUnclosedBytesUnderTheNewName) {
  auto out = fs_->OpenOutputStream(dir_ + "/tmp");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("unclosed").ok());
  ASSERT_TRUE(fs_->Move(dir_ + "/tmp", dir_ + "/final").ok());
  ASSERT_TRUE(WriteFile(dir_ + "/deleted", "x").ok());
  ASSERT_TRUE(fs_->DeleteFile(dir_ + "/deleted").ok());
  fs_->Crash();
  EXPECT_EQ(Read(dir_ + "/final"), "");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/tmp"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/deleted"));
}

TEST_F(FaultInjectionFileSystemTest, CrashAtStopsBeforeThatOperation) {
  fs_->CrashAt(3);  // the close
  auto out = fs_->OpenOutputStream(dir_ + "/f");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Write("never durable").ok());
  Status closed = (*out)->Close();
  EXPECT_TRUE(closed.IsIOError());
  EXPECT_NE(closed.message().find("simulated crash at operation 3"), std::string::npos);
  EXPECT_TRUE(fs_->crashed());
  EXPECT_EQ(Read(dir_ + "/f"), "");
  EXPECT_TRUE(fs_->DeleteFile(dir_ + "/f").IsIOError());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/f"));
  EXPECT_EQ(fs_->ops(), 3);
}

}  // namespace
}  // namespace fst::core
