#include "trellis/core/json.h"

#include <cmath>

namespace trellis {

Result<Json> parse_json(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(std::string(what) + ": not valid JSON");
  return j;
}

std::optional<int64_t> json_integer(const Json& value, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    v = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    v = value.get<int64_t>();
  } else if (value.is_number_float()) {
    const double d = std::trunc(value.get<double>());
    // [-2^63, 2^63): the doubles that convert to int64_t without undefined behaviour.
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
    v = static_cast<int64_t>(d);
  } else {
    return std::nullopt;
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace trellis
