// Tables across the Python boundary through the Arrow C stream interface (PyCapsules named
// "arrow_array_stream"), zero-copy, without libarrow_python: pyarrow, pandas (via pyarrow),
// polars and DuckDB all speak it.
#pragma once

#include <memory>

#include <arrow/table.h>
#include <nanobind/nanobind.h>

#include "featherstone/core/status.h"

namespace fst::python {

// Takes ownership of the stream inside `capsule` (it is left released) and returns a reader.
// Requires the GIL. Errors: TypeError (Python) for a wrong capsule; Arrow's import errors.
Result<std::shared_ptr<arrow::RecordBatchReader>> ImportStream(nanobind::handle capsule);

// A new "arrow_array_stream" capsule streaming `table`; the capsule releases the stream
// when it is collected unless a consumer took it. Requires the GIL.
Result<nanobind::object> ExportTable(const std::shared_ptr<arrow::Table>& table);

}  // namespace fst::python
