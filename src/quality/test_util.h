// Helpers for the quality tests: sources from YAML snippets and batches from JSON rows.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <arrow/record_batch.h>
#include <gtest/gtest.h>

#include "featherstone/definitions/yaml_reader.h"
#include "featherstone/quality/validator.h"

namespace fst::quality::testing {

// A source `s` with `schema_yaml` (flow list of columns) and `contract_yaml` (the body under
// `contract:`, indented by 6). Fails the test on a parse error.
inline definitions::Source SourceOf(const std::string& schema_yaml,
                                    const std::string& contract_yaml,
                                    const std::string& timestamp_field = "ts") {
  const std::string text = "sources:\n  - name: s\n    timestamp_field: " + timestamp_field +
                           "\n    schema: " + schema_yaml + "\n" +
                           (contract_yaml.empty() ? "" : "    contract:\n" + contract_yaml);
  auto repo = definitions::ParseYaml(text, "test.yaml");
  EXPECT_TRUE(repo.ok()) << repo.status() << "\n" << text;
  if (!repo.ok()) return definitions::Source{};
  return repo->sources[0];
}

// A batch of the source's declared columns from JSON rows ("[{\"a\": 1}, ...]").
inline std::shared_ptr<arrow::RecordBatch> BatchOf(const definitions::Source& source,
                                                   const std::string& rows) {
  arrow::FieldVector fields;
  for (const auto& c : source.schema) {
    fields.push_back(arrow::field(c.name, core::ToArrowType(c.type)));
  }
  auto array = arrow::json::ArrayFromJSONString(arrow::struct_(fields), rows).ValueOrDie();
  return arrow::RecordBatch::FromStructArray(array).ValueOrDie();
}

// The values of an int64 array.
inline std::vector<int64_t> Values(const std::shared_ptr<arrow::Int64Array>& array) {
  std::vector<int64_t> out;
  if (array == nullptr) return out;
  for (int64_t i = 0; i < array->length(); ++i) out.push_back(array->Value(i));
  return out;
}

// Column `name` of a quarantine batch as strings ("<null>" for nulls).
inline std::vector<std::string> Strings(const std::shared_ptr<arrow::RecordBatch>& batch,
                                        const std::string& name) {
  std::vector<std::string> out;
  if (batch == nullptr) return out;
  auto column = batch->GetColumnByName(name);
  for (int64_t i = 0; i < column->length(); ++i) {
    if (column->IsNull(i)) {
      out.push_back("<null>");
    } else if (column->type_id() == arrow::Type::INT64) {
      out.push_back(std::to_string(static_cast<const arrow::Int64Array&>(*column).Value(i)));
    } else {
      out.push_back(std::string(static_cast<const arrow::StringArray&>(*column).GetView(i)));
    }
  }
  return out;
}

}  // namespace fst::quality::testing
