#include "view_keys.h"

#include <set>
#include <unordered_set>

#include <arrow/api.h>

#include "featherstone/offline/part_file.h"
#include "featherstone/online/key_codec.h"

namespace fst::retrieval {

Result<std::vector<std::string>> TouchedKeys(const std::vector<offline::PartRef>& files,
                                             const std::vector<registry::FileRecord>& records,
                                             const features::ViewPlan& plan, const KeyFilter& filter) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> keys;
  std::vector<std::string> columns = plan.join_keys;
  columns.push_back(plan.source->timestamp_field);
  std::vector<std::shared_ptr<arrow::DataType>> types(columns.size() + 1, arrow::int64());
  std::vector<std::string> with_seq = columns;
  with_seq.push_back(offline::kSeqColumn);
  // The earliest event time that counts for a row of ingest `id`.
  auto lower_for = [&](int64_t id) {
    const bool new_ingest = filter.last_ingest_id >= 0 && id > filter.last_ingest_id;
    return new_ingest || filter.last_ingest_id < 0
               ? filter.min_ts
               : std::max(filter.min_ts, filter.previous_end + 1);
  };
  for (size_t f = 0; f < files.size(); ++f) {
    // A compacted file holds rows of many ingests, old and new: judged row by row.
    const auto spans = registry::IngestSpans(records[f]);
    bool any = false;
    std::set<int64_t> lowers;
    for (const auto& span : spans) {
      const int64_t lower = lower_for(span.ingest_id);
      lowers.insert(lower);
      any = any || (span.max_ts >= lower && span.min_ts <= filter.max_ts);
    }
    if (!any) continue;
    const bool one_lower = lowers.size() == 1;
    FST_ASSIGN_OR_RAISE(auto table, offline::ReadPartColumns(
                                        files[f].path, one_lower ? columns : with_seq, types));
    std::vector<std::shared_ptr<arrow::Array>> key_arrays;
    for (size_t k = 0; k < plan.join_keys.size(); ++k) {
      FST_ASSIGN_OR_RAISE(auto array, features::Flatten(*table->column(static_cast<int>(k))));
      key_arrays.push_back(array);
    }
    const int nk = static_cast<int>(plan.join_keys.size());
    FST_ASSIGN_OR_RAISE(auto ts, features::Flatten(*table->column(nk)));
    const int64_t* raw_ts = ts->data()->GetValues<int64_t>(1);
    const int64_t* raw_seq = nullptr;
    std::shared_ptr<arrow::Array> seq;
    if (!one_lower) {
      FST_ASSIGN_OR_RAISE(seq, features::Flatten(*table->column(nk + 1)));
      raw_seq = seq->data()->GetValues<int64_t>(1);
    }
    const int64_t file_lower = *lowers.begin();
    std::string encoded;
    std::string previous;  // the key of the last row counted in this file
    bool any_previous = false;
    for (int64_t i = 0; i < table->num_rows(); ++i) {
      const int64_t lower = one_lower ? file_lower : lower_for(raw_seq[i] >> 32);
      if (raw_ts[i] < lower || raw_ts[i] > filter.max_ts) continue;
      encoded.clear();
      online::EncodeKey(key_arrays, i, &encoded);
      // A part is sorted by key, so a key comes in a run: only its first row is looked up.
      if (any_previous && encoded == previous) continue;
      if (seen.insert(encoded).second) keys.push_back(encoded);
      previous.swap(encoded);
      any_previous = true;
    }
  }
  return keys;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> KeyArrays(
    const std::vector<std::string>& encoded, const features::ViewPlan& plan) {
  const size_t width = plan.join_keys.size();
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders;
  for (auto type : plan.key_types) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    FST_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), core::ToArrowType(type),
                                         &builder));
    builders.push_back(std::move(builder));
  }
  for (const auto& key : encoded) {
    std::string_view rest = key;
    for (size_t k = 0; k < width; ++k) {
      FST_ASSIGN_OR_RAISE(auto part, online::DecodeKeyPart(&rest));
      auto* builder = builders[k].get();
      if (part.is_int) {
        if (plan.key_types[k] == core::ValueType::kInt32) {
          FST_RETURN_NOT_OK(static_cast<arrow::Int32Builder*>(builder)->Append(
              static_cast<int32_t>(part.int_value)));
        } else {
          FST_RETURN_NOT_OK(static_cast<arrow::Int64Builder*>(builder)->Append(part.int_value));
        }
      } else {
        FST_RETURN_NOT_OK(static_cast<arrow::BinaryBuilder*>(builder)->Append(part.text));
      }
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (auto& builder : builders) {
    std::shared_ptr<arrow::Array> array;
    FST_RETURN_NOT_OK(builder->Finish(&array));
    arrays.push_back(array);
  }
  return arrays;
}

}  // namespace fst::retrieval
