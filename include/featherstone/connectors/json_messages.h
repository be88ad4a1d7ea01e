// Messages holding one JSON object each (Kafka payloads, lines pushed on stdin) as one Arrow
// record batch of a declared schema, read as the JSONL connector reads a line: columns by name
// or dotted path, a missing key is null, values converted to the declared types.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>

#include "featherstone/core/types.h"

namespace fst::connectors {

class JsonMessageDecoder {
 public:
  explicit JsonMessageDecoder(core::Schema schema);
  ~JsonMessageDecoder();

  // Adds one message; `where()` names it in errors ("topic 'orders' partition 2 offset 17").
  // Errors: Invalid "WHERE: ..." for text that is not a JSON object or a value that does not
  // convert to its column's type (naming the column and value); the message is then skipped
  // and the rows added before it stay, so a caller may set it aside and go on.
  Status Add(std::string_view payload, const std::function<std::string()>& where);
  // The rows added since the last Finish, columns in schema order with core::ToArrowType types.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish();
  int64_t rows() const { return rows_; }

 private:
  struct State;
  // Moves the builders' first rows_ - finished_rows_ values into finished chunks, dropping
  // the values a failed message appended after them.
  Status Cut();

  core::Schema schema_;
  std::unique_ptr<State> state_;
  int64_t rows_ = 0;           // rows since Finish
  int64_t finished_rows_ = 0;  // of which held in finished chunks (after a failed message)
};

}  // namespace fst::connectors
