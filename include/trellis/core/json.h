// JSON values (nlohmann::json) with non-throwing parsing for engine code.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "trellis/core/status.h"

namespace trellis {

using Json = nlohmann::json;

// Parses `text`; kInvalidArgument naming `what` (a path, a key) on bad JSON.
Result<Json> parse_json(std::string_view text, std::string_view what = "json");

// The integer a JSON number holds when it lies in [lo, hi]: integers as they are, floats
// truncated toward zero (files written from Python sometimes say 640.0). nullopt for
// non-numbers and for values outside the range, so that 4294967396 is never read as 100 and
// 1e300 never reaches a float-to-int conversion.
std::optional<int64_t> json_integer(const Json& value,
                                    int64_t lo = std::numeric_limits<int64_t>::min(),
                                    int64_t hi = std::numeric_limits<int64_t>::max());

}  // namespace trellis
