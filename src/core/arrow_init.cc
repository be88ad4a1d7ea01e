#include "featherstone/core/arrow_init.h"

#include <arrow/compute/initialize.h>

namespace fst::core {

Status EnsureArrowCompute() {
  static const Status status = arrow::compute::Initialize();
  return status;
}

}  // namespace fst::core
