// Crash-test hook: when FST_KILL_POINT names `point`, the process kills itself with SIGKILL
// there, as a power cut or OOM kill would. Used by the crash tests (tests/e2e/test_crash.py).
#pragma once

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace fst::ingest {

inline void KillPoint(const char* point) {
  const char* wanted = std::getenv("FST_KILL_POINT");
  if (wanted != nullptr && std::strcmp(wanted, point) == 0) std::raise(SIGKILL);
}

}  // namespace fst::ingest
