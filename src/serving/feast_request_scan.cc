#include "feast_request_scan.h"

#include <algorithm>

#include "featherstone/core/json_cursor.h"

namespace fst::serving {
namespace {

class Scanner : public core::JsonCursor {
 public:
  using JsonCursor::JsonCursor;

  // A string of printable ASCII without escapes.
  bool String(std::string* out) {
    std::string_view text;
    if (!PlainString(&text, /*printable_ascii=*/true)) return false;
    out->assign(text);
    return true;
  }

  // A string, an integer of 1 to 18 digits without leading zeros (its text is ScalarText's),
  // true or false, as ScalarText writes it.
  bool Scalar(std::string* out) {
    SkipSpace();
    if (p_ == end_) return false;
    if (*p_ == '"') return String(out);
    bool flag = false;
    if (Bool(&flag)) {
      *out = flag ? "true" : "false";
      return true;
    }
    const char* start = p_;
    if (*p_ == '-') ++p_;
    const char* digits = p_;
    SkipDigits();
    const size_t n = static_cast<size_t>(p_ - digits);
    if (n == 0 || n > 18 || (*digits == '0' && (n > 1 || start != digits))) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    out->assign(start, p_);
    return true;
  }

  bool Bool(bool* out) {
    if (Word("true")) {
      *out = true;
      return true;
    }
    if (Word("false")) {
      *out = false;
      return true;
    }
    return false;
  }

  // [string, ...]
  bool Strings(std::vector<std::string>* out) {
    return Array([&] { return String(&out->emplace_back()); });
  }

  // {name: [scalar, ...], ...}, sorted by name; a repeated name is refused.
  bool Columns(TextColumnList* out) {
    if (!Take('{')) return false;
    if (!Take('}')) {
      do {
        auto& [name, values] = out->emplace_back();
        if (!String(&name) || !Take(':') ||
            !Array([&] { return Scalar(&values.emplace_back()); })) {
          return false;
        }
      } while (Take(','));
      if (!Take('}')) return false;
    }
    std::sort(out->begin(), out->end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return std::adjacent_find(out->begin(), out->end(), [](const auto& a, const auto& b) {
             return a.first == b.first;
           }) == out->end();
  }
};

}  // namespace

std::optional<ScannedOnlineRequest> ScanOnlineRequest(std::string_view body) {
  Scanner in(body);
  ScannedOnlineRequest out;
  if (!in.Take('{')) return std::nullopt;
  bool service = false, features = false, full_names = false;
  if (!in.Take('}')) {
    do {
      std::string key;
      if (!in.String(&key) || !in.Take(':')) return std::nullopt;
      bool ok = false;
      if (key == "feature_service" && !service) {
        service = true;
        ok = in.String(&out.head.feature_service);
      } else if (key == "features" && !features) {
        features = true;
        ok = in.Strings(&out.head.features);
      } else if (key == "full_feature_names" && !full_names) {
        full_names = true;
        ok = in.Bool(&out.head.full_feature_names);
      } else if (key == "entities" && !out.entities.has_value()) {
        ok = in.Columns(&out.entities.emplace());
      } else if (key == "request_data" && !out.request_data.has_value()) {
        ok = in.Columns(&out.request_data.emplace());
      }
      if (!ok) return std::nullopt;
    } while (in.Take(','));
    if (!in.Take('}')) return std::nullopt;
  }
  if (!in.AtEnd()) return std::nullopt;
  return out;
}

}  // namespace fst::serving
