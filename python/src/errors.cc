#include "errors.h"

namespace nb = nanobind;

namespace fst::python {
namespace {

struct Classes {
  PyObject* base = nullptr;
  PyObject* definition = nullptr;
  PyObject* validation = nullptr;
  PyObject* not_found = nullptr;
  PyObject* not_supported = nullptr;
};

Classes& classes() {
  static Classes c;
  return c;
}

PyObject* ClassFor(arrow::StatusCode code, InvalidAs invalid_as) {
  const Classes& c = classes();
  switch (code) {
    case arrow::StatusCode::KeyError: return c.not_found;
    case arrow::StatusCode::NotImplemented: return c.not_supported;
    case arrow::StatusCode::Invalid:
    case arrow::StatusCode::TypeError:
    case arrow::StatusCode::CapacityError:
      switch (invalid_as) {
        case InvalidAs::kDefinition: return c.definition;
        case InvalidAs::kValidation: return c.validation;
        case InvalidAs::kGeneric: return c.base;
      }
      return c.base;
    default: return c.base;
  }
}

}  // namespace

void InitErrors() {
  nb::module_ errors = nb::module_::import_("featherstone._errors");
  Classes& c = classes();
  // Kept for the life of the process: the classes outlive every call that raises them.
  c.base = errors.attr("FeatherstoneError").inc_ref().ptr();
  c.definition = errors.attr("DefinitionError").inc_ref().ptr();
  c.validation = errors.attr("ValidationError").inc_ref().ptr();
  c.not_found = errors.attr("NotFoundError").inc_ref().ptr();
  c.not_supported = errors.attr("NotSupportedError").inc_ref().ptr();
}

void Raise(const Status& status, InvalidAs invalid_as) {
  PyErr_SetString(ClassFor(status.code(), invalid_as), status.message().c_str());
  throw nb::python_error();
}

void RaiseMessage(const std::string& message, InvalidAs invalid_as) {
  PyErr_SetString(ClassFor(arrow::StatusCode::Invalid, invalid_as), message.c_str());
  throw nb::python_error();
}

}  // namespace fst::python
