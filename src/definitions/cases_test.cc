// Declarative cases: tests/cases/definitions/NAME.yaml is read as featherstone.yaml and
// validated; NAME.expected holds "OK" or the exact error text. FST_UPDATE_CASES=1 rewrites
// the expected files from the actual results (review the diff before committing).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "featherstone/definitions/validate.h"
#include "featherstone/definitions/yaml_reader.h"

namespace fst::definitions {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Outcome(const std::string& text) {
  auto repo = ParseYaml(text, "featherstone.yaml");
  if (!repo.ok()) return repo.status().message();
  const Status status = Validate(*repo);
  return status.ok() ? "OK" : status.message();
}

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(FST_DEFINITIONS_CASES)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(DefinitionCases, MatchExpected) {
  const bool update = std::getenv("FST_UPDATE_CASES") != nullptr;
  const auto files = CaseFiles();
  ASSERT_FALSE(files.empty()) << "no cases in " << FST_DEFINITIONS_CASES;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string actual = Outcome(ReadText(file));
    fs::path expected_path = file;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual << "\n";
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path << "; actual:\n"
                                           << actual;
    std::string expected = ReadText(expected_path);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    EXPECT_EQ(actual, expected);
  }
}

}  // namespace
}  // namespace fst::definitions
