#include "featherstone/retrieval/online_json.h"

#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace fst::retrieval {
namespace {

std::string Dumped(const OnlineValue& value) {
  return ToJson(value).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void ExpectSameBytes(const OnlineValue& value) {
  std::string out = "[";
  AppendJson(value, &out);
  EXPECT_EQ(out, "[" + Dumped(value));
  if (const auto* text = std::get_if<std::string>(&value)) {
    out = "[";
    AppendJsonString(*text, &out);
    EXPECT_EQ(out, "[" + Dumped(value));
  }
}

// AppendJson writes the same bytes as ToJson's dump for every kind of value.
TEST(AppendJson, SameBytesAsTheJsonDump) {
  ExpectSameBytes(std::monostate{});
  ExpectSameBytes(true);
  ExpectSameBytes(false);
  for (int64_t i : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    ExpectSameBytes(i);
  }
  ExpectSameBytes(0.1);
  ExpectSameBytes(-2.5e300);
  for (const char* text : {"plain", "", "feature_12", "a b~", "tab\there", "\x7f", "caf\xc3\xa9",
                           "quote \" back\\slash \n\t \x01", "bad utf-8 \xff\xfe"}) {
    ExpectSameBytes(std::string(text));
  }
  ExpectSameBytes(std::vector<float>{1.5f, -0.0f});
  ExpectSameBytes(std::vector<float>{});
  ExpectSameBytes(std::vector<std::string>{"a", "\"b\""});
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    ExpectSameBytes(static_cast<int64_t>(rng()));
    ExpectSameBytes(std::uniform_real_distribution<double>(-1e6, 1e6)(rng));
  }
}

}  // namespace
}  // namespace fst::retrieval
