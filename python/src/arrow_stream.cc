#include "arrow_stream.h"

#include <cstdlib>

#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>

namespace nb = nanobind;

namespace fst::python {
namespace {

constexpr const char* kStreamCapsule = "arrow_array_stream";

void ReleaseStreamCapsule(PyObject* capsule) {
  auto* stream =
      static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, kStreamCapsule));
  if (stream == nullptr) {
    PyErr_Clear();
    return;
  }
  if (stream->release != nullptr) stream->release(stream);
  std::free(stream);
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> ImportStream(nb::handle capsule) {
  if (!PyCapsule_IsValid(capsule.ptr(), kStreamCapsule)) {
    throw nb::type_error("expected an 'arrow_array_stream' PyCapsule (__arrow_c_stream__())");
  }
  auto* stream =
      static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), kStreamCapsule));
  if (stream->release == nullptr) {
    return Status::Invalid("the Arrow stream was already consumed");
  }
  return arrow::ImportRecordBatchReader(stream);
}

Result<nb::object> ExportTable(const std::shared_ptr<arrow::Table>& table) {
  auto reader = std::make_shared<arrow::TableBatchReader>(table);
  auto* stream = static_cast<ArrowArrayStream*>(std::malloc(sizeof(ArrowArrayStream)));
  if (stream == nullptr) return Status::OutOfMemory("cannot allocate an ArrowArrayStream");
  stream->release = nullptr;
  Status status = arrow::ExportRecordBatchReader(reader, stream);
  if (!status.ok()) {
    std::free(stream);
    return status;
  }
  PyObject* capsule = PyCapsule_New(stream, kStreamCapsule, ReleaseStreamCapsule);
  if (capsule == nullptr) {
    stream->release(stream);
    std::free(stream);
    throw nb::python_error();
  }
  return nb::steal(capsule);
}

}  // namespace fst::python
