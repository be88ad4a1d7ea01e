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
#include "featherstone/features/check_features.h"
#include "featherstone/repo/repo_context.h"
#include "featherstone/retrieval/online_json.h"
#include "online_values.h"

namespace fst::retrieval {

// Row `i` of `array` as GetOnlineFeatures's JSON shows it.
inline nlohmann::ordered_json ArrayValueToJson(const arrow::Array& array, int64_t i) {
  const auto id = array.type_id();
  const auto type = id == arrow::Type::TIMESTAMP ? core::ValueType::kTimestamp
                    : id == arrow::Type::DATE32  ? core::ValueType::kDate
                                                 : core::ValueType::kString;
  return ToJson(FormatValue(type, ArrayValue(array, i)));
}

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
    auto repo = repo::RepoContext::Open(dir_);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    repo_ = std::move(*repo);
    auto defs = definitions::LoadRepo(dir_);
    ASSERT_TRUE(defs.ok()) << defs.status().ToString();
    if (check_features) {
      ASSERT_TRUE(features::CheckFeatures(*defs).ok());
    }
    ASSERT_TRUE(repo_->registry().Apply(definitions::ToSpecObjects(*defs)).ok());
  }

  std::string dir_;
  std::unique_ptr<repo::RepoContext> repo_;
};

}  // namespace fst::retrieval
