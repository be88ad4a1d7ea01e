// Arrow Status -> Python exceptions of featherstone._errors (docs/python.md "Errors").
#pragma once

#include <nanobind/nanobind.h>

#include "featherstone/core/status.h"

namespace fst::python {

// How an Invalid status reads at the call site: definitions (plan/apply), data (ingest,
// entity rows) or anything else.
enum class InvalidAs { kDefinition, kValidation, kGeneric };

// Looks the exception classes up in featherstone._errors; call once at module import.
void InitErrors();

// Sets the Python exception for `status` (KeyError -> NotFoundError, Invalid -> per
// `invalid_as`, NotImplemented -> NotSupportedError, else FeatherstoneError) and throws
// nanobind::python_error. Requires the GIL. Precondition: !status.ok().
[[noreturn]] void Raise(const Status& status, InvalidAs invalid_as);

// Raises FeatherstoneError (or ValidationError, ...) with `message`. Requires the GIL.
[[noreturn]] void RaiseMessage(const std::string& message, InvalidAs invalid_as);

}  // namespace fst::python
