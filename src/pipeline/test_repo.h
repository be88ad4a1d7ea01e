// Test support for pipeline tests: a repo in a fresh folder named after the running test,
// with `yaml` as its featherstone.yaml, applied to its registry.
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
#include "featherstone/pipeline/check_features.h"
#include "featherstone/pipeline/repo_context.h"

namespace fst::pipeline {

class RepoTest : public ::testing::Test {
 protected:
  // With `check_features`, the definitions also pass plan's feature checks.
  void OpenRepo(const char* yaml, bool check_features) {
    ASSERT_TRUE(core::EnsureArrowCompute().ok());
    const char* base = std::getenv("FST_TEST_TMP");
    const auto dir = std::filesystem::path(base ? base : "/tmp") /
                     (std::string("pipeline_") +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    dir_ = dir.string();
    std::ofstream(dir_ + "/featherstone.yaml") << yaml;
    auto repo = RepoContext::Open(dir_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    auto defs = definitions::LoadRepo(dir_);
    ASSERT_TRUE(defs.ok()) << defs.status().ToString();
    if (check_features) {
      ASSERT_TRUE(CheckFeatures(*defs).ok());
    }
    ASSERT_TRUE(repo_->registry().Apply(definitions::ToSpecObjects(*defs)).ok());
  }

  std::string dir_;
  std::unique_ptr<RepoContext> repo_;
};

}  // namespace fst::pipeline
