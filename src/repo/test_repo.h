// Test support for tests that open an applied repo (ingest, retrieval): a repo in a fresh
// folder with a given featherstone.yaml, applied to its registry. Not a public header.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "featherstone/core/arrow_init.h"
#include "featherstone/definitions/spec.h"
#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/features/check_features.h"
#include "featherstone/repo/repo_context.h"

namespace fst::repo {

// A fresh, empty folder named `name` under FST_TEST_TMP (or /tmp).
inline std::string FreshTestDir(const std::string& name) {
  const char* base = std::getenv("FST_TEST_TMP");
  const auto dir = std::filesystem::path(base ? base : "/tmp") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Writes `yaml` as the featherstone.yaml of `dir` and applies it to the repo's registry.
// With `check_features`, the definitions must also pass plan's feature checks.
inline Status WriteAndApply(const std::string& dir, const std::string& yaml,
                            bool check_features = false) {
  std::ofstream(dir + "/featherstone.yaml") << yaml;
  FST_ASSIGN_OR_RAISE(auto defs, definitions::LoadRepo(dir));
  if (check_features) FST_RETURN_NOT_OK(features::CheckFeatures(defs));
  FST_ASSIGN_OR_RAISE(auto repo, RepoContext::Open(dir));
  return repo->registry().Apply(definitions::ToSpecObjects(defs)).status();
}

class RepoTest : public ::testing::Test {
 protected:
  // Opens repo_ on a fresh folder named after the running test, with `yaml` applied.
  void OpenRepo(const char* yaml, bool check_features) {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    dir_ = FreshTestDir(std::string("pipeline_") +
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Status applied = WriteAndApply(dir_, yaml, check_features);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
    auto repo = RepoContext::Open(dir_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
  }

  std::string dir_;
  std::unique_ptr<RepoContext> repo_;
};

}  // namespace fst::repo
