// Test support for retrieval tests: the applied repo of src/repo/test_repo.h.
#pragma once

#include "../repo/test_repo.h"
#include "featherstone/retrieval/online_json.h"

namespace fst::retrieval {

using repo::RepoTest;

}  // namespace fst::retrieval
