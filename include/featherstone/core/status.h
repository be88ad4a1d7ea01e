// Errors: Featherstone uses Arrow's Status / Result<T> throughout (no exceptions across
// components). User-facing messages name file, row, column and value where they exist.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

namespace fst {

using arrow::Status;
template <typename T>
using Result = arrow::Result<T>;

}  // namespace fst

#define FST_RETURN_NOT_OK(expr) ARROW_RETURN_NOT_OK(expr)
#define FST_ASSIGN_OR_RAISE(lhs, rexpr) ARROW_ASSIGN_OR_RAISE(lhs, rexpr)
