#include "featherstone/core/hash.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include <xxhash.h>

namespace fst::core {
namespace {

std::string ToHex(XXH128_hash_t h) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

}  // namespace

std::string HashHex(std::string_view data) { return ToHex(XXH3_128bits(data.data(), data.size())); }

Result<std::string> HashFileHex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path, ": cannot open for reading");
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    XXH3_128bits_update(state, buffer.data(), static_cast<size_t>(in.gcount()));
  }
  const bool failed = in.bad();
  const std::string hex = ToHex(XXH3_128bits_digest(state));
  XXH3_freeState(state);
  if (failed) return Status::IOError(path, ": read failed");
  return hex;
}

}  // namespace fst::core
