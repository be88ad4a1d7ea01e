// Crash-test hook: when FST_KILL_POINT names `point` ("name", or "name@N" for its N-th pass in
// the process, N >= 1), the process kills itself with SIGKILL there, as a power cut or OOM kill
// would. Used by the crash tests (tests/e2e/test_crash.py, tests/e2e/test_stream.py).
#pragma once

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace fst::ingest {

inline void KillPoint(const char* point) {
  const char* wanted = std::getenv("FST_KILL_POINT");
  if (wanted == nullptr) return;
  const char* at = std::strchr(wanted, '@');
  const size_t name_length = at == nullptr ? std::strlen(wanted) : static_cast<size_t>(at - wanted);
  if (std::strlen(point) != name_length || std::strncmp(wanted, point, name_length) != 0) return;
  static std::atomic<long> passes{0};  // passes of the named point (one point is armed)
  const long pass = ++passes;
  if (at == nullptr || pass >= std::atol(at + 1)) std::raise(SIGKILL);
}

}  // namespace fst::ingest
