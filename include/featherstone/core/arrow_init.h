// Arrow compute kernels live in libarrow_compute and must be registered once per process.
#pragma once

#include "featherstone/core/status.h"

namespace fst::core {

// Registers Arrow's compute kernels; cheap after the first call; thread-safe.
Status EnsureArrowCompute();

}  // namespace fst::core
